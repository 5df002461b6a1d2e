using Microsoft.Extensions.Logging;

namespace FileServer.Serving;

/// <summary>
/// The log events of the serving layer, as compiled message templates. Event ids are shared with the host's
/// (<c>Hosting/ServerLog.cs</c>): each id names one event across the whole server.
/// </summary>
internal static partial class ServingLog
{
    [LoggerMessage(EventId = 24, Level = LogLevel.Warning, Message = "Zero-copy refused for {Path} ({Cause}): bodies go through the copy loop instead, {Remembered}")]
    public static partial void ZeroCopyRefused(ILogger logger, string path, string cause, string remembered);

    [LoggerMessage(EventId = 25, Level = LogLevel.Error, Message = "Opening {Path} failed (errno {Errno}): {Reason}; answered 500")]
    public static partial void FileOpenFailed(ILogger logger, string path, int errno, string reason);

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "Out of file descriptors opening {Path}: answered 503 ({Suppressed} more since the last report)")]
    public static partial void OutOfDescriptors(ILogger logger, string path, int suppressed);

    [LoggerMessage(EventId = 32, Level = LogLevel.Debug, Message = "SHA-256 of {Path} ({Length} bytes) computed in {ElapsedMs} ms")]
    public static partial void DigestComputed(ILogger logger, string path, long length, long elapsedMs);

    [LoggerMessage(EventId = 33, Level = LogLevel.Warning, Message = "SHA-256 of {Path} not computed: {Reason}")]
    public static partial void DigestFailed(ILogger logger, string path, string reason);
}
