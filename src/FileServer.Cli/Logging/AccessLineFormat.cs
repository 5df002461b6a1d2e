using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FileServer.Hosting;

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

/// <summary>
/// Writes an <see cref="AccessRecord"/> as one line of a chosen layout. Text from the request is escaped as nginx
/// escapes it (<c>"</c>, <c>\</c>, control and non-ASCII characters as <c>\xHH</c>), so a hostile path or user agent
/// cannot end a field or forge a line.
/// </summary>
internal static class AccessLineFormat
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The line, with its newline.</summary>
    public static string Format(AccessRecord record, AccessLogFormat format) => format switch
    {
        AccessLogFormat.Common => Common(record).Append('\n').ToString(),
        AccessLogFormat.Combined => Combined(record).Append('\n').ToString(),
        AccessLogFormat.Json => Json(record),
        _ => AccessRecord.Format(record, null) + "\n",
    };

    private static StringBuilder Common(AccessRecord r)
    {
        var line = new StringBuilder(160);
        line.Append(Host(r.Client)).Append(" - - [")
            .Append(r.Time.ToUniversalTime().ToString("dd/MMM/yyyy:HH:mm:ss", CultureInfo.InvariantCulture)).Append(" +0000] \"");
        if (r.Method == "-")
        {
            line.Append('-');
        }
        else
        {
            Escaped(line, r.Method).Append(' ');
            Escaped(line, r.Target).Append(' ');
            Escaped(line, r.Version);
        }
        return line.Append("\" ").Append(r.Status.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(r.BodyBytes.ToString(CultureInfo.InvariantCulture));
    }

    private static StringBuilder Combined(AccessRecord r)
    {
        var line = Common(r).Append(" \"");
        Escaped(line, r.Referer ?? "-").Append("\" \"");
        return Escaped(line, r.UserAgent ?? "-").Append('"');
    }

    private static string Json(AccessRecord r)
    {
        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("time", r.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("client", Host(r.Client));
            json.WriteString("method", r.Method);
            json.WriteString("target", r.Target);
            json.WriteString("version", r.Version);
            json.WriteNumber("status", r.Status);
            json.WriteNumber("bytes", r.BodyBytes);
            json.WriteNumber("duration_ms", r.DurationMs);
            json.WriteString("body_path", r.BodyPath);
            JsonLogLine.WriteValue(json, "referer", r.Referer);
            JsonLogLine.WriteValue(json, "user_agent", r.UserAgent);
            JsonLogLine.WriteValue(json, "range", r.Range);
            JsonLogLine.WriteValue(json, "tls", r.Tls);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length) + "\n";
    }

    // The address without its port: "127.0.0.1:5000" → "127.0.0.1", "[::1]:5000" → "::1".
    private static string Host(string client)
    {
        if (client.StartsWith('['))
        {
            var end = client.IndexOf(']', StringComparison.Ordinal);
            return end > 0 ? client[1..end] : client;
        }
        var colon = client.LastIndexOf(':');
        return colon > 0 && client.IndexOf(':', StringComparison.Ordinal) == colon ? client[..colon] : client;
    }

    private static StringBuilder Escaped(StringBuilder line, string text)
    {
        foreach (var c in text)
        {
            if (c is '"' or '\\' or < ' ' or > '~')
            {
                // A request line is read as Latin-1, so a character is the byte that came; anything wider (never from
                // the wire) goes per UTF-8 byte.
                var bytes = c <= 0xFF ? [(byte)c] : Encoding.UTF8.GetBytes(c.ToString());
                foreach (var b in bytes)
                {
                    line.Append("\\x").Append(b.ToString("X2", CultureInfo.InvariantCulture));
                }
            }
            else
            {
                line.Append(c);
            }
        }
        return line;
    }
}
