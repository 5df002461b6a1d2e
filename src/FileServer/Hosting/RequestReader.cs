using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using FileServer.Http;
using FileServer.Serving;
using FileServer.Transport;
using Microsoft.Extensions.Logging;

namespace FileServer.Hosting;

/// <summary>
/// The reading side of one connection: request heads within the idle and header timeouts (408 for a head that
/// stops halfway, 400 and its access-log line for one the parser rejects), and request bodies discarded within
/// the header timeout. Requests on a connection are sequential, so its timeout and parsed head are reused. The timeout
/// is made at the first read that waits: a request already there when asked for (a new connection's, with the deferred
/// accept) costs no timer at all.
/// </summary>
internal sealed class RequestReader(
    ITransport transport,
    RequestHeadParser parser,
    ResponseWriter responses,
    FileServerOptions options,
    ILogger log,
    AccessLog accessLog,
    TimeProvider clock) : IDisposable
{
    private readonly ITransport _transport = transport;
    private readonly RequestHeadParser _parser = parser;
    private readonly ResponseWriter _responses = responses;
    private readonly FileServerOptions _options = options;
    private readonly ILogger _log = log;
    private readonly AccessLog _accessLog = accessLog;
    private readonly TimeProvider _clock = clock;
    // Made on the first read that has to wait, started and stopped around every later one; it ends that read with
    // CancelPendingRead.
    private LazyWaitTimeout? _headTimeout;
    private volatile bool _timedOut;
    // The previous request's head, refilled by the parser for the next one.
    private RequestHead? _reusableHead;

    /// <summary>The peer ended its side (EOF) after whole requests: the close need not wait for its end.</summary>
    public bool PeerSendsNoMore { get; private set; }

    /// <summary>Reads the next request head; null when the connection should end (EOF, stop, timeout, rejection).</summary>
    // Runs once per request (or per queued send): pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<RequestHead?> ReadHeadAsync()
    {
        var input = _transport.Input;
        long? headStarted = null;
        while (true)
        {
            var reading = input.ReadAsync();
            ReadResult result;
            if (reading.IsCompleted)
            {
                result = reading.Result;
            }
            else
            {
                var wait = headStarted is null ? _options.IdleTimeout : _options.HeaderTimeout - _clock.GetElapsedTime(headStarted.Value);
                (_headTimeout ??= new LazyWaitTimeout(_clock, TimeOut)).Start(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
                try
                {
                    result = await reading.ConfigureAwait(false);
                }
                finally
                {
                    _headTimeout.Stop();
                }
            }
            if (result.IsCanceled)
            {
                // Either the timer's cancellation or a stop's (Connection.RequestStop): the connection ends either way.
                if (_timedOut)
                {
                    ServerLog.HeadTimeout(_log, _accessLog.Client);
                    if (headStarted is not null)
                    {
                        _responses.WriteError(_transport, HttpStatus.RequestTimeout, "Request head not received in time", null, keepAlive: false);
                    }
                }
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
                ServerLog.Rejected(_log, _accessLog.Client, e.Status, e.Message);
                var sent = _responses.WriteError(_transport, e.Status, e.Message, null, keepAlive: false);
                _accessLog.Unparsed(e.Status, sent);
                return null;
            }

            if (result.IsCompleted)
            {
                if (!IsOnlyEmptyLines(buffer))
                {
                    ServerLog.Rejected(_log, _accessLog.Client, HttpStatus.BadRequest, "Incomplete request head");
                    _responses.WriteError(_transport, HttpStatus.BadRequest, "Incomplete request head", null, keepAlive: false);
                }
                input.AdvanceTo(buffer.End);
                PeerSendsNoMore = true;
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
    public async ValueTask<bool?> DiscardBodyAsync(long length)
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

    // A timer that fires just as its read completes leaves the cancellation for the next read, which then ends the
    // connection as timed out: at the timeout's edge either outcome is right.
    private void TimeOut()
    {
        _timedOut = true;
        _transport.Input.CancelPendingRead();
    }

    public void Dispose() => _headTimeout?.Dispose();
}
