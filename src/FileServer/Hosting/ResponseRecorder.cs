using FileServer.Http;
using FileServer.Serving;
using FileServer.Transport;

namespace FileServer.Hosting;

/// <summary>
/// What a connection records of each response it ends: the request count, the access-log line and the metrics, for
/// a response sent whole or cut short mid-body (with the bytes that left, and why).
/// </summary>
internal sealed class ResponseRecorder(ServerStatistics statistics, AccessLog accessLog, ServerMetrics metrics, TimeProvider clock, ITransport transport, ResponseProgress progress)
{
    /// <summary>Records a response to <paramref name="request"/>, begun at the timestamp <paramref name="started"/>.</summary>
    public void Completed(RequestHead request, long started, int status, long bodyBytes, BodyPath bodyPath)
    {
        statistics.RequestServed();
        accessLog.Response(request, started, status, bodyBytes, bodyPath);
        var duration = clock.GetElapsedTime(started);
        var firstByte = progress.BodyStarted ? clock.GetElapsedTime(started, progress.BodyStartedAt) : duration;
        metrics.Response(request.Method, status, bodyBytes, AccessLog.BodyPathName(bodyPath), transport is TlsTransport, firstByte, duration);
    }

    /// <summary>Records a response whose body ended early because of <paramref name="cause"/>.</summary>
    public void CutShort(RequestHead request, long started, Exception cause)
    {
        Completed(request, started, progress.Status, progress.BodyBytesSent(transport.BytesSent), progress.BodyPath);
        if (cause is FileTruncatedException)
        {
            metrics.Aborted(AbortCause.Truncated);
        }
        else if (!transport.Aborted.IsCancellationRequested)
        {
            // Aborted by the server (send timeout, shutdown) is counted where that was decided.
            metrics.Aborted(AbortCause.ClientGone);
        }
    }
}
