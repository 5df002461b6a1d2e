using FileServer.Hosting;
using Microsoft.Extensions.Logging;

namespace FileServer.Cli.Logging;

/// <summary>Where and how the command logs: <c>--log-level</c>, <c>--log-format</c>, <c>--access-log</c>, <c>--access-log-format</c>.</summary>
/// <param name="Level">The least level written.</param>
/// <param name="Json">Whether log lines are JSON objects.</param>
/// <param name="AccessLog"><c>-</c> for stderr, a file path, or null for none.</param>
/// <param name="AccessFormat">The access lines' layout; null for the default (the log line on stderr, combined in a file).</param>
internal sealed record LoggingChoice(LogLevel Level, bool Json, string? AccessLog, AccessLogFormat? AccessFormat)
{
    /// <summary>Builds the logger factory; <paramref name="accessSink"/> is the access log's own sink when it has one.</summary>
    /// <exception cref="IOException">The access log file cannot be opened.</exception>
    /// <exception cref="UnauthorizedAccessException">The access log file may not be written.</exception>
    public ILoggerFactory CreateFactory(StderrLoggerProvider stderr, out AccessLogSink? accessSink)
    {
        var filters = new LoggerFilterOptions { MinLevel = Level };
        var accessLevel = Level <= LogLevel.Information ? LogLevel.Information : LogLevel.None;
        accessSink = null;
        // On stderr without a chosen layout, an access event is a log line like the others (text or JSON, event id 2).
        var format = AccessFormat ?? (AccessLog == "-" ? AccessLogFormat.Text : AccessLogFormat.Combined);
        if (AccessLog is null)
        {
            filters.Rules.Add(new LoggerFilterRule(null, FileServerHost.AccessLogCategory, LogLevel.None, null));
        }
        else if (AccessLog == "-" && format == AccessLogFormat.Text)
        {
            // The access line is a log line like any other, on stderr.
            filters.Rules.Add(new LoggerFilterRule(null, FileServerHost.AccessLogCategory, accessLevel, null));
        }
        else
        {
            accessSink = new AccessLogSink(AccessLog == "-" ? null : AccessLog, format);
            var sinkName = typeof(AccessLogSink).FullName;
            filters.Rules.Add(new LoggerFilterRule(typeof(StderrLoggerProvider).FullName, FileServerHost.AccessLogCategory, LogLevel.None, null));
            filters.Rules.Add(new LoggerFilterRule(sinkName, null, LogLevel.None, null));
            // A log of its own is written whatever --log-level says, as nginx's access_log is apart from error_log.
            filters.Rules.Add(new LoggerFilterRule(sinkName, FileServerHost.AccessLogCategory, LogLevel.Information, null));
        }
        ILoggerProvider[] providers = accessSink is null ? [stderr] : [stderr, accessSink];
        var factory = new LoggerFactory(providers, filters);
        accessSink?.ReportTo(factory.CreateLogger("FileServer"));
        return factory;
    }
}
