using System.Runtime.CompilerServices;
using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using FileServer.Http;
using FileServer.Serving;
using FileServer.Transport;
using Microsoft.Extensions.Logging;

namespace FileServer.Hosting;

/// <summary>
/// One client connection: reads request heads, lets the handler answer them in order (keep-alive and
/// pipelining), and ends the connection gracefully, on a timeout, or by abort. Never throws: every failure
/// ends this connection only, with a log line.
/// </summary>
internal sealed class Connection : IDisposable
{
    private readonly ITransport _transport;
    private readonly FileRequestHandler _handler;
    private readonly ResponseHeads _heads;
    private readonly RequestHeadParser _parser;
    private readonly FileServerOptions _options;
    private readonly ILogger _log;
    private readonly ILogger _accessLog;
    private readonly TimeProvider _clock;
    private readonly string _client;
    private readonly ServerStatistics _statistics;
    // The response being sent, reused: requests on a connection are sequential.
    private readonly ResponseProgress _progress = new();
    private static ReadOnlySpan<byte> ContinueResponse => "HTTP/1.1 100 Continue\r\n\r\n"u8;

    private CancellationTokenSource _headTimeout;
    private readonly CancellationTokenSource _opening;
    // The previous request's head, refilled by the parser for the next one: requests on a connection are sequential.
    private RequestHead? _reusableHead;
    private volatile bool _idle;
    private volatile bool _stopRequested;
    // The peer said it sends nothing more after a request read whole: the close need not wait for its end.
    private bool _peerSendsNoMore;

    public Connection(ITransport transport, FileRequestHandler handler, ResponseHeads heads, RequestHeadParser parser,
        FileServerOptions options, ILogger log, ILogger accessLog, TimeProvider clock, ServerStatistics statistics)
    {
        _statistics = statistics;
        _transport = transport;
        _handler = handler;
        _heads = heads;
        _parser = parser;
        _options = options;
        _log = log;
        _accessLog = accessLog;
        _clock = clock;
        _client = transport.RemoteEndPoint?.ToString() ?? "-";
        // Timers of the injected clock, so tests can drive the timeouts.
        _headTimeout = NewTimeoutSource();
        _opening = NewTimeoutSource();
    }

    private CancellationTokenSource NewTimeoutSource() => new(Timeout.InfiniteTimeSpan, _clock);

    /// <summary>The peer's address, for logs.</summary>
    public string Client => _client;

    /// <summary>Asks the connection to finish: at once if it waits for a request, after the current response otherwise.</summary>
    public void RequestStop()
    {
        _stopRequested = true;
        try
        {
            _opening.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection ended meanwhile: nothing left to stop.
        }
        if (_idle)
        {
            _transport.Input.CancelPendingRead();
        }
    }

    /// <summary>Releases the connection's timer; <see cref="RunAsync"/> does so when it ends.</summary>
    public void Dispose()
    {
        _headTimeout.Dispose();
        _opening.Dispose();
    }

    /// <summary>Ends the connection now, mid-response if need be.</summary>
    public void Abort() => _transport.Abort();

    /// <summary>Serves requests until the connection ends.</summary>
    public async Task RunAsync()
    {
        if (!await OpenAsync().ConfigureAwait(false))
        {
            Dispose();
            await _transport.DisposeAsync().ConfigureAwait(false);
            return;
        }
        var graceful = false;
        RequestHead? current = null;
        try
        {
            while (!_stopRequested)
            {
                _idle = true;
                current = await ReadHeadAsync().ConfigureAwait(false);
                _idle = false;
                if (current is null)
                {
                    break;
                }
                if (!await ServeAsync(current).ConfigureAwait(false))
                {
                    break;
                }
                current = null;
            }
            graceful = true;
        }
        catch (FileTruncatedException e)
        {
            ServerLog.FileTruncated(_log, _client, current?.Target ?? "-", e.Message);
        }
        catch (FileReadException e)
        {
            ServerLog.FileReadFailed(_log, _client, current?.Target ?? "-", e.Path, e.Errno, e.InnerException?.Message ?? e.Message);
        }
        catch (Exception e) when (IsDisconnect(e))
        {
            ServerLog.PeerGone(_log, _client, e.Message);
        }
        catch (Exception e)
        {
            ServerLog.ConnectionFailed(_log, _client, e);
        }

        try
        {
            if (graceful)
            {
                await _transport.CloseAsync(_options.LingerTimeout, _peerSendsNoMore).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (IsDisconnect(e))
        {
            ServerLog.PeerGone(_log, _client, e.Message);
        }
        catch (Exception e)
        {
            // A send path's own fault, kept by the transport and thrown by the close's last drain.
            ServerLog.ConnectionFailed(_log, _client, e);
        }
        finally
        {
            Dispose();
            await _transport.DisposeAsync().ConfigureAwait(false);
        }
    }

    // Runs once per request (or per queued send): pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ServeAsync(RequestHead request)
    {
        var started = _clock.GetTimestamp();
        var keepAlive = request.ClientWantsKeepAlive && !_stopRequested && request.BodyFraming != RequestBodyFraming.Chunked;
        var bodyRead = request.BodyFraming == RequestBodyFraming.None;
        if (request.BodyFraming == RequestBodyFraming.ContentLength)
        {
            // A client waiting for 100 Continue before it sends a body that would be refused anyway gets the
            // final status at once (RFC 9110 §10.1.1), not an invitation to upload it first.
            var refusedAnyway = request.ExpectsContinue && !FileRequestHandler.Serves(request.Method);
            if (request.ContentLength <= _options.MaxDiscardedBodyBytes && !refusedAnyway)
            {
                if (request.ExpectsContinue)
                {
                    // RFC 9110 §10.1.1: an immediate 100 or an immediate final status, never a silent wait for
                    // content the client holds back. A body too large to discard gets the final status at once below.
                    _transport.Write(ContinueResponse);
                }
                var discarded = await DiscardBodyAsync(request.ContentLength).ConfigureAwait(false);
                if (discarded is null)
                {
                    // Like a head that stops halfway: the client hears why before the connection closes.
                    ServerLog.BodyTimeout(_log, _client, request.ContentLength);
                    var sent = _heads.WriteError(_transport, HttpStatus.RequestTimeout, "Request body not received in time", request, keepAlive: false);
                    await _transport.DrainAsync().ConfigureAwait(false);
                    LogAccess(request, started, HttpStatus.RequestTimeout, sent, BodyPath.None);
                    return false;
                }
                bodyRead = discarded.Value;
                keepAlive &= bodyRead;
            }
            else
            {
                keepAlive = false;
            }
        }
        _peerSendsNoMore = !request.ClientWantsKeepAlive && bodyRead;

        _progress.Reset();
        ResponseSummary summary;
        try
        {
            summary = await _handler.HandleAsync(request, _transport, keepAlive, _progress, CancellationToken.None).ConfigureAwait(false);
            await _transport.DrainAsync().ConfigureAwait(false);
        }
        catch (Exception) when (_progress.BodyStarted)
        {
            // Cut short mid-body: still one access line, with the body bytes that left (fewer than announced).
            _statistics.RequestServed();
            LogAccess(request, started, _progress.Status, _progress.BodyBytesSent(_transport.BytesSent), _progress.BodyPath);
            throw;
        }
        _statistics.RequestServed();
        LogAccess(request, started, summary.Status, summary.BodyBytes, summary.BodyPath);
        return summary.KeepAlive;
    }

    private void LogAccess(RequestHead request, long started, int status, long bodyBytes, BodyPath bodyPath)
    {
        if (_accessLog.IsEnabled(LogLevel.Information))
        {
            var elapsed = _clock.GetElapsedTime(started);
            ServerLog.Access(_accessLog, _client, request.Method, request.Target, request.VersionText, status,
                bodyBytes, (long)elapsed.TotalMilliseconds, BodyPathName(bodyPath));
        }
    }

    /// <summary>
    /// Runs the transport's set-up (the TLS handshake) within the handshake timeout. A client that fails it (plain
    /// HTTP to the TLS port, garbage, a stall) is not the server's problem: one debug line, and false.
    /// </summary>
    private async Task<bool> OpenAsync()
    {
        try
        {
            var opening = _transport.OpenAsync(_opening.Token);
            if (opening.IsCompleted)
            {
                // A plain socket is open at once: no timer to arm and disarm for every connection.
                await opening.ConfigureAwait(false);
                return true;
            }
            _opening.CancelAfter(_options.HandshakeTimeout);
            await opening.ConfigureAwait(false);
            // Stops the handshake timer; a later RequestStop cancelling the source is harmless.
            _opening.TryReset();
            return true;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            var reason = e is OperationCanceledException ? (_stopRequested ? "server stopping" : "handshake timed out") : e.Message;
            ServerLog.HandshakeFailed(_log, _client, reason);
            return false;
        }
        catch (Exception e)
        {
            ServerLog.ConnectionFailed(_log, _client, e);
            return false;
        }
    }

    /// <summary>Reads the next request head; null when the connection should end (EOF, stop, timeout, rejection).</summary>
    // Runs once per request (or per queued send): pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RequestHead?> ReadHeadAsync()
    {
        var input = _transport.Input;
        // One timer per connection, re-armed per request, instead of a new one for every request.
        if (!_headTimeout.TryReset())
        {
            _headTimeout.Dispose();
            _headTimeout = NewTimeoutSource();
        }
        var timeout = _headTimeout;
        long? headStarted = null;
        while (true)
        {
            var wait = headStarted is null ? _options.IdleTimeout : _options.HeaderTimeout - _clock.GetElapsedTime(headStarted.Value);
            timeout.CancelAfter(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                ServerLog.HeadTimeout(_log, _client);
                if (headStarted is not null)
                {
                    _heads.WriteError(_transport, HttpStatus.RequestTimeout, "Request head not received in time", null, keepAlive: false);
                }
                return null;
            }
            if (result.IsCanceled)
            {
                return null;
            }

            var buffer = result.Buffer;
            try
            {
                if (_parser.TryParse(buffer, _reusableHead, out var head, out var consumed))
                {
                    _reusableHead = head;
                    input.AdvanceTo(consumed);
                    return head;
                }
            }
            catch (HttpRequestRejectedException e)
            {
                input.AdvanceTo(buffer.End);
                ServerLog.Rejected(_log, _client, e.Status, e.Message);
                var sent = _heads.WriteError(_transport, e.Status, e.Message, null, keepAlive: false);
                ServerLog.Access(_accessLog, _client, "-", "-", "-", e.Status, sent, 0, BodyPathName(BodyPath.None));
                return null;
            }

            if (result.IsCompleted)
            {
                if (!IsOnlyEmptyLines(buffer))
                {
                    ServerLog.Rejected(_log, _client, HttpStatus.BadRequest, "Incomplete request head");
                    _heads.WriteError(_transport, HttpStatus.BadRequest, "Incomplete request head", null, keepAlive: false);
                }
                input.AdvanceTo(buffer.End);
                _peerSendsNoMore = true;
                return null;
            }
            if (!buffer.IsEmpty)
            {
                headStarted ??= _clock.GetTimestamp();
            }
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    // True when the whole body was read, false when the peer ended it early, null when it did not arrive in time.
    private async ValueTask<bool?> DiscardBodyAsync(long length)
    {
        var input = _transport.Input;
        using var timeout = new CancellationTokenSource(_options.HeaderTimeout, _clock);
        while (length > 0)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                return null;
            }
            var take = Math.Min(length, result.Buffer.Length);
            input.AdvanceTo(result.Buffer.GetPosition(take));
            length -= take;
            if (length > 0 && (result.IsCompleted || result.IsCanceled))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsOnlyEmptyLines(in ReadOnlySequence<byte> buffer)
    {
        foreach (var segment in buffer)
        {
            if (segment.Span.IndexOfAnyExcept(HttpChars.CR, HttpChars.LF) >= 0)
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsDisconnect(Exception e) =>
        e is IOException or SocketException or ObjectDisposedException or OperationCanceledException;

    private static string BodyPathName(BodyPath path) => path switch
    {
        BodyPath.SendFile => "sendfile",
        BodyPath.Copy => "copy",
        _ => "none",
    };
}
