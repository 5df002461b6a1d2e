using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using FileServer.Platform;

namespace FileServer.Transport;

/// <summary>
/// A plain TCP connection: queued bytes leave in gathered socket sends, and file ranges through the kernel's
/// zero-copy path (sendfile).
/// </summary>
internal sealed class SocketTransport : BufferedTransport
{
    private readonly PipeReader _input;
    // Left open by the reader (the socket is the transport's to close); disposed here so its receive operation is
    // released at once rather than by the finalizer thread.
    private readonly SocketStream _stream;
    // Made on first use, as the writer's send below: a small response leaves in one plain send from the pump, and a
    // connection that makes only such responses (a script's one request) never needs them.
    private GatheredSegments? _gather;
    // The writer's sends (direct bytes, file ranges) and the pump's (queued bytes): never two at once on either. Both
    // made on first use: a response the kernel takes whole at once (SendNow) needs neither.
    private SocketSendOperation? _writerSend;
    private SocketSendOperation? _pumpSend;
    private bool _sendFileRefused;
    private readonly IPlatform _platform;
    private readonly ReadResumption? _resumption;
    // Asked once, at the connection's first zero-copy slice.
    private SharedLoopbackSendBuffer? _sendBuffer;
    // True until the kernel first takes fewer bytes than offered: from then on .NET's asynchronous send waits for room
    // (and makes the socket non-blocking, once). A response that fits the send buffer never needs it.
    private bool _sendNow = true;

    /// <summary>
    /// Takes ownership of a connected socket and starts the send pump; timeouts run on <paramref name="clock"/>
    /// (default: the system's); reads resume where <paramref name="resumption"/> says (default: on the pool).
    /// </summary>
    public SocketTransport(Socket socket, IPlatform platform, TransportOptions options, TimeProvider? clock = null, ReadResumption? resumption = null,
        SharedLoopbackSendBuffer? sendBuffer = null)
        : base(socket, platform, options, clock)
    {
        // A request read inline is answered on the thread that saw its bytes arrive: no hand-off per request. A file
        // slice that had to wait for room resumes there too (see SendFileRangeAsync); queued bytes resume on the pool.
        _platform = platform;
        _resumption = resumption;
        _sendBuffer = sendBuffer;
        _stream = new SocketStream(socket, resumption, platform);
        _input = PipeReader.Create(_stream, InputOptions);
        StartPump();
    }

    /// <inheritdoc />
    public override PipeReader Input => _input;

    private SocketSendOperation WriterSend => _writerSend ??= new SocketSendOperation();

    private SocketSendOperation PumpSend => _pumpSend ??= new SocketSendOperation();

    /// <inheritdoc />
    // False once the kernel refused a file on this connection: .NET then counts the socket as no longer connected
    // and refuses every later SendPacketsAsync on it, while plain sends still work.
    public override bool CanSendFile => !_sendFileRefused;

    /// <inheritdoc />
    protected override long KernelSendSpace() => Probe.SendSpace();

    /// <inheritdoc />
    protected override bool CloseEndsSending => true;

    /// <inheritdoc />
    // MSG_MORE on the immediate sends instead of TCP_CORK's setsockopt: one system call fewer for a connection that asks
    // for one small file. .NET's own sends (gathered, or waiting for room) cannot say MSG_MORE: the cork is set before
    // the first of them, as a zero-copy body's batch sets it, and the close releases it.
    public override void HoldUntilClose() => Probe.HoldCork(corkNow: false);

    private void HoldByCork()
    {
        if (Probe.IsHeld)
        {
            Probe.SetCork(true);
        }
    }

    /// <inheritdoc />
    // A request that came in a short read left nothing behind in the kernel then; what a client sends after asking to
    // close (RFC 9112 §9.6: it must not) may meet a reset, as it would from nginx, which trusts the short read too.
    protected override bool KernelMayHoldInput => _stream.MayHoldUnreadInput;

    /// <inheritdoc />
    // Runs once per direct chunk: pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask SendDirectAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        SetSendingOutsideQueue(true);
        try
        {
            while (!bytes.IsEmpty)
            {
                int sent;
                try
                {
                    // Not cancellable once handed over (an abort ends it, and what it sent until then is counted).
                    sent = SendNow(bytes);
                    if (sent < 0)
                    {
                        HoldByCork();
                        sent = await WriterSend.SendAsync(Socket, bytes).ConfigureAwait(false);
                    }
                }
                catch (SocketException e)
                {
                    CountSentOutsideQueue(_writerSend?.TransferredBeforeFailure ?? 0);
                    throw StoreSendError(new IOException($"send failed: {e.SocketErrorCode}", e));
                }
                catch (ObjectDisposedException e)
                {
                    throw new IOException("connection aborted", e);
                }
                CountSentOutsideQueue(sent);
                bytes = bytes[sent..];
            }
        }
        finally
        {
            SetSendingOutsideQueue(false);
        }
    }

    /// <inheritdoc />
    public override async ValueTask<long> SendFileAsync(FileStream file, long offset, long count, CancellationToken cancellationToken = default)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        SetSendingOutsideQueue(true);
        try
        {
            return await SendFileRangeAsync(file, offset, count).ConfigureAwait(false);
        }
        finally
        {
            SetSendingOutsideQueue(false);
        }
    }

    private async ValueTask<long> SendFileRangeAsync(FileStream file, long offset, long count)
    {
        if (_sendBuffer is { } sendBuffer)
        {
            _sendBuffer = null;
            try
            {
                sendBuffer.TryApply(Socket);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The connection failed or was aborted before the body: the send below reports it.
            }
        }
        long total = 0;
        while (total < count)
        {
            // .NET refuses a range past the end of the file (EINVAL), so a file that shrank is clamped here and
            // reported as a short count, which the caller treats as truncation. Only a file with a length can be
            // clamped; anything else is left to the kernel (which refuses it).
            var slice = (int)Math.Min(count - total, Options.SendFileChunk);
            if (file.CanSeek)
            {
                slice = (int)Math.Min(slice, Math.Max(0, RandomAccess.GetLength(file.SafeFileHandle) - (offset + total)));
                if (slice == 0)
                {
                    break;
                }
            }
            int sent;
            try
            {
                // The engine thread that saw the room goes on with the body: it would run the slice's later sendfiles
                // anyway (.NET retries a waiting send where the socket became writable), and a hop to the pool adds a
                // thread that wants a core beside the downloads. Beyond the inline limit, the pool as for reads.
                sent = await WriterSend.SendFileAsync(Socket, file, offset + total, slice, _resumption?.Inline == true).ConfigureAwait(false);
            }
            catch (SocketException e) when (SendFileRefusedException.IsRefusal(e.SocketErrorCode) && !IsAborted)
            {
                // Not the peer's doing and nothing of this call left: the connection stays usable for plain sends,
                // nothing is stored.
                _sendFileRefused = true;
                throw new SendFileRefusedException(e.SocketErrorCode, total, e);
            }
            catch (SocketException e)
            {
                CountSentOutsideQueue(_writerSend?.TransferredBeforeFailure ?? 0);
                throw StoreSendError(new IOException($"sendfile failed: {e.SocketErrorCode}", e));
            }
            catch (ObjectDisposedException e)
            {
                throw new IOException("connection aborted", e);
            }
            total += sent;
            CountSentOutsideQueue(sent);
            if (sent < slice)
            {
                break;
            }
        }
        return total;
    }

    /// <inheritdoc />
    // Runs once per request (or per queued send): pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    protected override async ValueTask SendQueuedAsync(ReadOnlySequence<byte> buffer)
    {
        long done = 0;
        try
        {
            if (buffer.IsSingleSegment)
            {
                var memory = buffer.First;
                while (!memory.IsEmpty)
                {
                    var sent = SendNow(memory);
                    if (sent < 0)
                    {
                        HoldByCork();
                        sent = await PumpSend.SendAsync(Socket, memory).ConfigureAwait(false);
                    }
                    memory = memory[sent..];
                    done += sent;
                }
                return;
            }
            // Several segments leave in one gathered send (sendmsg), not one syscall each.
            var gather = (_gather ??= new GatheredSegments()).Of(buffer);
            HoldByCork();
            while (done < buffer.Length)
            {
                var sent = await PumpSend.SendAsync(Socket, gather).ConfigureAwait(false);
                done += sent;
                if (done < buffer.Length)
                {
                    GatheredSegments.Trim(gather, sent);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The queue counts a buffer once all of it has left; of one cut off by an abort (mid-send, or between two
            // sends once the socket is gone) or a reset, what had left is counted here, so a cut-off response's logged
            // bytes are what the kernel took. The error goes on up.
            CountSentOutsideQueue(done + (_pumpSend?.TransferredBeforeFailure ?? 0));
            throw;
        }
    }

    // What the kernel takes at once, or -1 for .NET's asynchronous send to wait for room.
    private int SendNow(ReadOnlyMemory<byte> bytes)
    {
        if (!_sendNow)
        {
            return -1;
        }
        var sent = _platform.SendNow(Socket, bytes.Span, holdTail: Probe.IsHeld);
        _sendNow = sent == bytes.Length;
        return sent;
    }

    /// <inheritdoc />
    protected override ValueTask ReleaseAsync()
    {
        _stream.Dispose();
        _writerSend?.Dispose();
        _pumpSend?.Dispose();
        return ValueTask.CompletedTask;
    }
}
