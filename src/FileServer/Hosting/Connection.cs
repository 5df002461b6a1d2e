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
internal sealed class Connection : IDisposable, IThreadPoolWorkItem
{
    private readonly ITransport _transport;
    private readonly RequestDispatcher _dispatcher;
    private readonly ResponseWriter _responses;
    private readonly RequestReader _requests;
    private readonly FileServerOptions _options;
    private readonly ILogger _log;
    private readonly AccessLog _accessLog;
    private readonly TimeProvider _clock;
    // The response being sent, reused: requests on a connection are sequential.
    private readonly ResponseProgress _progress;
    private readonly ServerMetrics _metrics;
    private readonly ResponseRecorder _recorder;
    private static ReadOnlySpan<byte> ContinueResponse => "HTTP/1.1 100 Continue\r\n\r\n"u8;

    // The handshake's timer, made only for a transport that has a handshake: a plain connection needs none.
    private CancellationTokenSource? _opening;
    private volatile bool _idle;
    private volatile bool _stopRequested;
    // The peer said it sends nothing more after a request read whole: the close need not wait for its end.
    private bool _peerSendsNoMore;
    private readonly long _id;
    private readonly Action<Connection>? _ended;
    private volatile RequestHead? _current;

    public Connection(ITransport transport, RequestDispatcher dispatcher, ResponseWriter responses, RequestHeadParser parser,
        FileServerOptions options, ILogger log, ILogger accessLog, TimeProvider clock, ServerStatistics statistics, ServerMetrics metrics, long id = 0,
        Action<Connection>? ended = null)
    {
        _ended = ended;
        _id = id;
        _metrics = metrics;
        _progress = new ResponseProgress(clock);
        _transport = transport;
        _dispatcher = dispatcher;
        _responses = responses;
        // Only a trusted peer's word on the client is taken; everyone else's forwarding fields are ignored.
        _accessLog = new AccessLog(accessLog, clock, transport.RemoteEndPoint, TrustedProxies.ForPeer(options.TrustedProxies, transport.RemoteEndPoint));
        _requests = new RequestReader(transport, parser, responses, options, log, _accessLog, clock);
        _recorder = new ResponseRecorder(statistics, _accessLog, metrics, clock, transport, _progress);
        _options = options;
        _log = log;
        _clock = clock;
    }

    /// <summary>The body being sent now, or null between responses.</summary>
    public TransferView? Transfer()
    {
        var request = _current;
        if (request is null || !_progress.BodyStarted)
        {
            return null;
        }
        var path = _transport is TlsTransport ? "tls" : AccessLog.BodyPathName(_progress.BodyPath);
        return new TransferView(_id, _accessLog.ClientOf(request), request.Target, path, _progress.BodyBytesSent(_transport.BytesSent), _progress.BodyLength);
    }

    /// <summary>The connection's transport.</summary>
    public ITransport Transport => _transport;

    /// <summary>The peer's address, for logs.</summary>
    public string Client => _accessLog.Client;

    /// <summary>Asks the connection to finish: at once if it waits for a request, after the current response otherwise.</summary>
    public void RequestStop()
    {
        _stopRequested = true;
        // Paired with the exchange in OpenAsync: either this sees the handshake's source, or OpenAsync sees the stop.
        Interlocked.MemoryBarrier();
        try
        {
            Volatile.Read(ref _opening)?.Cancel();
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
        _requests.Dispose();
        _opening?.Dispose();
    }

    /// <summary>Ends the connection now, mid-response if need be.</summary>
    public void Abort() => _transport.Abort();

    /// <summary>Runs the connection as a thread-pool work item (see <see cref="RunAsync"/>).</summary>
    void IThreadPoolWorkItem.Execute() => _ = RunAsync();

    /// <summary>Serves requests until the connection ends, then reports its end to whoever started it. Never throws.</summary>
    public async Task RunAsync()
    {
        _metrics.Connection(+1);
        try
        {
            await RunConnectionAsync().ConfigureAwait(false);
        }
        finally
        {
            _metrics.Connection(-1);
            _ended?.Invoke(this);
        }
    }

    private async Task RunConnectionAsync()
    {
        // A plain socket is open at once: no handshake timer to make, arm and disarm for every connection.
        if (!_transport.OpensAtOnce && !await OpenAsync().ConfigureAwait(false))
        {
            Dispose();
            await _transport.DisposeAsync().ConfigureAwait(false);
            return;
        }
        _accessLog.Tls = (_transport as TlsTransport)?.ProtocolName;
        var graceful = false;
        RequestHead? current = null;
        try
        {
            while (!_stopRequested)
            {
                _idle = true;
                current = await _requests.ReadHeadAsync().ConfigureAwait(false);
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
            ServerLog.FileTruncated(_log, Client, current?.Target ?? "-", e.Message);
        }
        catch (FileReadException e)
        {
            ServerLog.FileReadFailed(_log, Client, current?.Target ?? "-", e.Path, e.Errno, e.InnerException?.Message ?? e.Message);
        }
        catch (Exception e) when (IsDisconnect(e))
        {
            ServerLog.PeerGone(_log, Client, e.Message);
        }
        catch (Exception e)
        {
            ServerLog.ConnectionFailed(_log, Client, e);
        }

        try
        {
            if (graceful)
            {
                await _transport.CloseAsync(_options.LingerTimeout, _peerSendsNoMore || _requests.PeerSendsNoMore).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (IsDisconnect(e))
        {
            ServerLog.PeerGone(_log, Client, e.Message);
        }
        catch (Exception e)
        {
            // A send path's own fault, kept by the transport and thrown by the close's last drain.
            ServerLog.ConnectionFailed(_log, Client, e);
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
            var refusedAnyway = request.ExpectsContinue && !RequestDispatcher.Serves(request.Method);
            if (request.ContentLength <= _options.MaxDiscardedBodyBytes && !refusedAnyway)
            {
                if (request.ExpectsContinue)
                {
                    // RFC 9110 §10.1.1: an immediate 100 or an immediate final status, never a silent wait for
                    // content the client holds back. A body too large to discard gets the final status at once below.
                    _transport.Write(ContinueResponse);
                }
                var discarded = await _requests.DiscardBodyAsync(request.ContentLength).ConfigureAwait(false);
                if (discarded is null)
                {
                    // Like a head that stops halfway: the client hears why before the connection closes.
                    ServerLog.BodyTimeout(_log, Client, request.ContentLength);
                    var sent = _responses.WriteError(_transport, HttpStatus.RequestTimeout, "Request body not received in time", request, keepAlive: false);
                    await _transport.DrainAsync().ConfigureAwait(false);
                    _accessLog.Response(request, started, HttpStatus.RequestTimeout, sent, BodyPath.None);
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
        _current = request;
        ResponseSummary summary;
        _metrics.Transfer(+1);
        try
        {
            summary = await _dispatcher.HandleAsync(request, _transport, keepAlive, _progress, CancellationToken.None).ConfigureAwait(false);
            await _transport.DrainAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (_progress.BodyStarted)
        {
            // Cut short mid-body: still one access line, with the body bytes that left (fewer than announced).
            _recorder.CutShort(request, started, e);
            throw;
        }
        finally
        {
            _current = null;
            _metrics.Transfer(-1);
        }
        _recorder.Completed(request, started, summary.Status, summary.BodyBytes, summary.BodyPath);
        return summary.KeepAlive;
    }

    /// <summary>
    /// Runs the transport's set-up (the TLS handshake) within the handshake timeout. A client that fails it (plain
    /// HTTP to the TLS port, garbage, a stall) is not the server's problem: one debug line, and false.
    /// </summary>
    private async Task<bool> OpenAsync()
    {
        try
        {
            // A timer of the injected clock, so tests can drive the timeouts.
            var opening = new CancellationTokenSource(_options.HandshakeTimeout, _clock);
            Interlocked.Exchange(ref _opening, opening);
            if (_stopRequested)
            {
                // A stop that came before the source was there to cancel.
                opening.Cancel();
            }
            await _transport.OpenAsync(opening.Token).ConfigureAwait(false);
            // Stops the handshake timer; a later RequestStop cancelling the source is harmless.
            opening.TryReset();
            return true;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            var reason = e is OperationCanceledException ? (_stopRequested ? "server stopping" : "handshake timed out") : e.Message;
            ServerLog.HandshakeFailed(_log, Client, reason);
            return false;
        }
        catch (Exception e)
        {
            ServerLog.ConnectionFailed(_log, Client, e);
            return false;
        }
    }

    private static bool IsDisconnect(Exception e) =>
        e is IOException or SocketException or ObjectDisposedException or OperationCanceledException;
}
