namespace FileServer.Cli.Logging;

/// <summary>The layouts of <c>--access-log-format</c>.</summary>
internal enum AccessLogFormat
{
    /// <summary>The log line every other event has, text or JSON as <c>--log-format</c> says (the default on stderr).</summary>
    Text,
    /// <summary>The Common Log Format: <c>client - - [time] "request" status bytes</c>.</summary>
    Common,
    /// <summary>Common, then <c>"referer" "user-agent"</c>, as nginx's and Apache's <c>combined</c>.</summary>
    Combined,
    /// <summary>One JSON object: combined's fields, the duration, the body path, the range and the TLS version.</summary>
    Json,
}
