using Microsoft.Extensions.Logging;

namespace FileServer.Hosting;

/// <summary>Every log event of the server, with stable event ids, as compiled message templates.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Serving {Root} on {Urls} (platform {Platform}, sendfile {SendFile}, lookups confined by {Confinement})")]
    public static partial void Started(ILogger logger, string root, string urls, string platform, string sendFile, string confinement);

    // Event 2, the access log, is written by AccessLog with an AccessRecord as its state.

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Open-file limit is {Limit}")]
    public static partial void OpenFileLimit(ILogger logger, ulong limit);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Clients on this machine get {Algorithm} congestion control (system default: {SystemDefault})")]
    public static partial void LoopbackCongestion(ILogger logger, string algorithm, string systemDefault);

    [LoggerMessage(EventId = 22, Level = LogLevel.Debug, Message = "Connection {Client} keeps the system's congestion control: the kernel refused {Algorithm}")]
    public static partial void CongestionRefused(ILogger logger, string client, string algorithm);

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Connection {Client} ended by the peer: {Reason}")]
    public static partial void PeerGone(ILogger logger, string client, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "Rejected request from {Client}: {Status} {Reason}")]
    public static partial void Rejected(ILogger logger, string client, int status, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Aborted response to {Client} for {Target}: {Reason}")]
    public static partial void FileTruncated(ILogger logger, string client, string target, string reason);

    [LoggerMessage(EventId = 23, Level = LogLevel.Error, Message = "Aborted response to {Client} for {Target}: reading {Path} failed (errno {Errno}): {Reason}")]
    public static partial void FileReadFailed(ILogger logger, string client, string target, string path, int errno, string reason);

    [LoggerMessage(EventId = 13, Level = LogLevel.Error, Message = "Unexpected failure on connection {Client}")]
    public static partial void ConnectionFailed(ILogger logger, string client, Exception exception);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "Accepting a connection failed: {Reason}")]
    public static partial void AcceptFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 26, Level = LogLevel.Warning, Message = "Out of file descriptors on {Url}: accepting paused ({Reason}; {Suppressed} more since the last report); raise the open-file limit (ulimit -n) or lower --max-connections")]
    public static partial void OutOfDescriptors(ILogger logger, string url, string reason, int suppressed);

    [LoggerMessage(EventId = 27, Level = LogLevel.Information, Message = "Accepting again on {Url}: descriptors are free")]
    public static partial void AcceptingAgain(ILogger logger, string url);

    [LoggerMessage(EventId = 28, Level = LogLevel.Debug, Message = "A client left before its connection was accepted: {Reason}")]
    public static partial void AcceptAborted(ILogger logger, string reason);

    [LoggerMessage(EventId = 29, Level = LogLevel.Warning, Message = "--max-connections {Requested} lowered to {Allowed}: the open-file limit {Limit} holds that many ({PerConnection} descriptors a connection, {Reserved} kept for the process, the open-file cache and the runtime); raise it with ulimit -n")]
    public static partial void ConnectionsCapped(ILogger logger, int requested, int allowed, ulong limit, int perConnection, int reserved);

    [LoggerMessage(EventId = 15, Level = LogLevel.Information, Message = "Stopping: {Connections} connection(s) open, waiting up to {Timeout}")]
    public static partial void Stopping(ILogger logger, int connections, TimeSpan timeout);

    [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "Shutdown timeout passed: aborting {Connections} connection(s)")]
    public static partial void AbortingOnShutdown(ILogger logger, int connections);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Told to stop at once: aborting {Connections} connection(s)")]
    public static partial void AbortingAtOnce(ILogger logger, int connections);

    [LoggerMessage(EventId = 17, Level = LogLevel.Information, Message = "Stopped after {Requests} requests; {AllocatedPerRequest} bytes of managed memory allocated per request")]
    public static partial void Stopped(ILogger logger, long requests, long allocatedPerRequest);

    [LoggerMessage(EventId = 18, Level = LogLevel.Debug, Message = "Connection {Client} timed out waiting for a request head")]
    public static partial void HeadTimeout(ILogger logger, string client);

    [LoggerMessage(EventId = 31, Level = LogLevel.Debug, Message = "Connection {Client} timed out waiting for a request body of {Length} bytes")]
    public static partial void BodyTimeout(ILogger logger, string client, long length);

    [LoggerMessage(EventId = 19, Level = LogLevel.Information, Message = "Connection {Client} accepted no byte for {Timeout}: aborted")]
    public static partial void SendTimedOut(ILogger logger, string client, TimeSpan timeout);

    [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "TLS handshake with {Client} failed: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, string client, string reason);

    [LoggerMessage(EventId = 38, Level = LogLevel.Debug, Message = "Quiet after a burst: the managed heap's committed memory trimmed from {BeforeMiB} MiB to {AfterMiB} MiB")]
    public static partial void MemoryTrimmed(ILogger logger, long beforeMiB, long afterMiB);
}
