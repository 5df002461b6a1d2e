using Microsoft.Extensions.Logging;

namespace FileServer.Cli.Logging;

/// <summary>The command's own log events; ids continue the engine's (see docs/operations.md).</summary>
internal static partial class CliLog
{
    [LoggerMessage(EventId = 34, Level = LogLevel.Warning, Message = "Access log too slow: {Dropped} lines dropped ({Total} since start)")]
    public static partial void AccessLinesDropped(ILogger logger, long dropped, long total);

    [LoggerMessage(EventId = 35, Level = LogLevel.Error, Message = "Writing the access log to {Path} failed: {Reason}; lines are dropped from now on")]
    public static partial void AccessLogFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 36, Level = LogLevel.Information, Message = "SIGHUP: reopening the access log {Path}")]
    public static partial void AccessLogReopening(ILogger logger, string path);

    [LoggerMessage(EventId = 37, Level = LogLevel.Information, Message = "Metrics on {Url} (Prometheus text format)")]
    public static partial void MetricsServed(ILogger logger, string url);

    [LoggerMessage(EventId = 39, Level = LogLevel.Debug, Message = "Started: start-up's garbage collected, the managed heap {BeforeKiB} KiB → {AfterKiB} KiB ({CommittedKiB} KiB committed) in {PauseMs:0.0} ms")]
    public static partial void StartUpMemoryGivenBack(ILogger logger, long beforeKiB, long afterKiB, long committedKiB, double pauseMs);
}
