using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using FileServer.Platform;

namespace FileServer.Transport;

/// <summary>
/// The asyncio write/drain contract: a <see cref="Pipe"/> holds the queue, a background pump hands queued bytes to
/// the connection as fast as the peer reads them, and <see cref="DrainAsync"/> waits while the queue is at or above
/// the high watermark until a send leaves no more than the low watermark. Subclasses say how bytes leave: straight to the
/// socket, or through TLS.
/// </summary>
/// <remarks>
/// The pipe's own pause and resume thresholds are not used: the pipe pauses a writer only when a flush crosses the
/// high watermark, so after a cancelled drain the next one would not wait at all. The watermarks are checked here,
/// against the bytes written and the bytes sent, on every drain.
/// </remarks>
public abstract class QueuedTransport : ITransport
{
    private readonly Socket _socket;
    private readonly IPlatform _platform;
    private readonly TransportOptions _options;
    private readonly TimeProvider _clock;
    private readonly Pipe _output;
    private readonly DrainWaiter _drain = new();
    private Task _pump = Task.CompletedTask;

    // Bytes committed by the writer and bytes handed to the kernel by the pump: equal means the queue is empty.
    private long _committed;
    private long _sent;
    private TaskCompletionSource? _emptyWaiter;
    private Exception? _sendError;
    private int _aborted;
    private int _sendingOutsideQueue;
    // Made on first use: only a paced (rate-limited) response waits on anything but the socket.
    private CancellationTokenSource? _abortedSource;

    /// <summary>
    /// Takes ownership of a connected socket; the subclass starts the pump with <see cref="StartPump"/>. Timeouts of
    /// the close run on <paramref name="clock"/> (the system's when null).
    /// </summary>
    protected QueuedTransport(Socket socket, IPlatform platform, TransportOptions options, TimeProvider? clock = null)
    {
        _socket = socket;
        _clock = clock ?? TimeProvider.System;
        _platform = platform;
        _options = options;
        _socket.NoDelay = true;
        // The pump resumes inline when a write commits bytes: a small response leaves in the writer's own
        // send call, without a hand-off to another thread. Only when the socket is full does it continue on
        // the socket's completion, as any awaited send does.
        // A drain waiting for the queue to fall resumes inline too (DrainWaiter), on the thread whose send just made
        // room: the next chunk is then read and sent on one core. Resumed on another thread, the file bytes were read
        // on one core and copied into the socket on the other; perf showed that copy (_copy_from_iter) costing up
        // to 3x nginx's in some copy-path runs with 8 streams, and level with nginx's in every run since.
        // Thresholds 0: the pipe never pauses the writer; DrainAsync applies the watermarks (see the remarks above).
        _output = new Pipe(new PipeOptions(
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: 0,
            resumeWriterThreshold: 0,
            minimumSegmentSize: 16 * 1024,
            useSynchronizationContext: false));
        RemoteEndPoint = socket.RemoteEndPoint;
    }

    /// <summary>
    /// How the input side reads: small buffers, and zero-byte reads so an idle keep-alive connection waits for
    /// data without holding a rented buffer.
    /// </summary>
    protected static StreamPipeReaderOptions InputOptions { get; } =
        new(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true, useZeroByteReads: true);

    /// <summary>The connected socket underneath.</summary>
    protected Socket Socket => _socket;

    /// <summary>The watermarks and slice sizes.</summary>
    protected TransportOptions Options => _options;

    /// <summary>The clock timeouts run on.</summary>
    protected TimeProvider Clock => _clock;

    /// <inheritdoc />
    public abstract PipeReader Input { get; }

    /// <inheritdoc />
    public EndPoint? RemoteEndPoint { get; }

    /// <inheritdoc />
    public abstract bool CanSendFile { get; }

    /// <summary>Whether <see cref="Abort"/> has run.</summary>
    protected bool IsAborted => Volatile.Read(ref _aborted) != 0;

    /// <summary>Starts the background pump; called once by the subclass when it can send.</summary>
    // Started here, not as a work item: it runs only up to its first wait on the empty queue.
    protected void StartPump() => _pump = PumpAsync();

    /// <inheritdoc />
    public virtual ValueTask OpenAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public long BytesSent => Interlocked.Read(ref _sent);

    /// <inheritdoc />
    public long BytesWritten => Interlocked.Read(ref _committed);

    /// <summary>Bytes written but not yet handed to the kernel: what the watermarks bound.</summary>
    public long QueuedBytes => Interlocked.Read(ref _committed) - Interlocked.Read(ref _sent);

    /// <inheritdoc />
    public bool IsSending => QueuedBytes > 0 || Volatile.Read(ref _sendingOutsideQueue) != 0;

    /// <inheritdoc />
    public long SendProgress
    {
        get
        {
            if (Volatile.Read(ref _aborted) == 0)
            {
                try
                {
                    if (_platform.GetBytesAcknowledged(_socket) is { } acknowledged)
                    {
                        return acknowledged;
                    }
                }
                catch (ObjectDisposedException)
                {
                    // Aborted in between: fall back to our own count.
                }
            }
            return BytesSent;
        }
    }

    /// <inheritdoc />
    public int WriteBudget => (int)Math.Clamp(_options.HighWatermark - QueuedBytes, 0, _options.HighWatermark);

    /// <inheritdoc />
    // Counted past what is still queued: after a drain resumed with the low watermark queued, a peer with room again
    // gets direct sends again (they wait for the queue to empty first), instead of staying on queued 48 KiB reads.
    public long DirectWriteSpace
    {
        get
        {
            var queued = QueuedBytes;
            return queued < _options.HighWatermark && !HasFailed && !IsAborted ? Math.Max(0, KernelSendSpace() - queued) : 0;
        }
    }

    private bool HasFailed => Volatile.Read(ref _sendError) is not null;

    /// <inheritdoc />
    // Where the bytes cannot go to the kernel directly (TLS), they are queued and drained like any write.
    public virtual ValueTask SendDirectAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        Write(bytes.Span);
        return DrainAsync(cancellationToken);
    }

    /// <summary>Bytes the kernel's send buffer would take now without pushing back; 0 where unknown or not supported.</summary>
    protected virtual long KernelSendSpace() => 0;

    /// <summary>The operating-system seam, for subclasses that ask the kernel about their socket.</summary>
    protected IPlatform Platform => _platform;

    /// <inheritdoc />
    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }
        _output.Writer.Write(bytes);
        Committed(bytes.Length);
    }

    /// <inheritdoc />
    public void Append(ReadOnlySpan<byte> bytes)
    {
        _output.Writer.Write(bytes);
        Interlocked.Add(ref _committed, bytes.Length);
    }

    /// <inheritdoc />
    public Memory<byte> GetWriteBuffer(int sizeHint) => _output.Writer.GetMemory(sizeHint);

    /// <inheritdoc />
    public void CommitWrite(int count)
    {
        if (count == 0)
        {
            return;
        }
        _output.Writer.Advance(count);
        Committed(count);
    }

    private void Committed(int count)
    {
        Interlocked.Add(ref _committed, count);
        if (HasFailed)
        {
            // The peer is gone; the next DrainAsync reports it. Nothing is sent any more, as asyncio drops writes too.
            return;
        }
        Publish();
    }

    // Makes committed bytes visible to the pump (which sends them at once, inline, when it is idle). The pipe never
    // pauses its writer here, so the flush is always complete.
    private void Publish()
    {
        var flush = _output.Writer.FlushAsync();
        if (!flush.IsCompleted)
        {
            throw new InvalidOperationException("a pipe without a pause threshold made its writer wait");
        }
        _ = flush.Result;
    }

    /// <inheritdoc />
    public ValueTask DrainAsync(CancellationToken cancellationToken = default)
    {
        if (_output.Writer.UnflushedBytes > 0 && !HasFailed)
        {
            // Appended bytes (Append) start to leave now.
            Publish();
        }
        if (Volatile.Read(ref _sendError) is { } error)
        {
            return ValueTask.FromException(Surface(error));
        }
        if (QueuedBytes < _options.HighWatermark)
        {
            return ValueTask.CompletedTask;
        }
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }
        var wait = _drain.Arm(cancellationToken);
        // Checked again once armed: the pump may have made room, or failed, since the check above.
        ReleaseDrainIfDone();
        return wait;
    }

    // Ends a waiting drain once the queue is at or below the low watermark, or with the send error once there is one.
    private void ReleaseDrainIfDone()
    {
        if (!_drain.IsArmed)
        {
            return;
        }
        if (Volatile.Read(ref _sendError) is { } error)
        {
            _drain.Release(Surface(error));
        }
        else if (QueuedBytes <= _options.LowWatermark)
        {
            _drain.Release();
        }
    }

    // The stored send error as the writer sees it: a peer's failure as a fresh IOException each time (so each throw
    // has its own trace); anything else — a bug in a send path — as itself (rethrown with its own trace), so it is
    // reported as a failure, not as a client leaving.
    private static Exception Surface(Exception error) => error is IOException ? new IOException(error.Message, error) : error;

    /// <inheritdoc />
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        await DrainAsync(cancellationToken).ConfigureAwait(false);
        if (Interlocked.Read(ref _sent) == Interlocked.Read(ref _committed))
        {
            ThrowIfFailed();
            return;
        }
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _emptyWaiter, waiter);
        // Re-check after publishing the waiter: the pump may have emptied the queue in between.
        if (Interlocked.Read(ref _sent) == Interlocked.Read(ref _committed) || Volatile.Read(ref _sendError) is not null)
        {
            waiter.TrySetResult();
        }
        await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        ThrowIfFailed();
    }

    /// <inheritdoc />
    public virtual ValueTask<long> SendFileAsync(FileStream file, long offset, long count, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("this transport cannot hand files to the kernel");

    /// <summary>
    /// Marks bytes that leave outside the queue (a file range in the kernel's hands, a TLS close_notify) as in
    /// flight, or no longer: <see cref="IsSending"/> is what the send timeout watches.
    /// </summary>
    protected void SetSendingOutsideQueue(bool sending) => Volatile.Write(ref _sendingOutsideQueue, sending ? 1 : 0);

    /// <summary>Records a send error so the next drain reports it, and returns it.</summary>
    protected IOException StoreSendError(IOException error)
    {
        Interlocked.CompareExchange(ref _sendError, error, null);
        return error;
    }

    /// <summary>Counts bytes that left outside the queue (a file range) as both committed and sent.</summary>
    protected void CountSentOutsideQueue(long count)
    {
        Interlocked.Add(ref _sent, count);
        Interlocked.Add(ref _committed, count);
    }

    /// <inheritdoc />
    public void SetBatching(bool enabled)
    {
        if (Volatile.Read(ref _aborted) != 0)
        {
            return;
        }
        try
        {
            _platform.SetCork(_socket, enabled);
        }
        catch (SocketException)
        {
            // Batching is an optimisation: a socket that refuses TCP_CORK (reset, or not TCP) still works without it.
        }
        catch (ObjectDisposedException)
        {
            // Aborted concurrently (shutdown deadline): nothing left to batch.
        }
    }

    /// <inheritdoc />
    public async ValueTask CloseAsync(TimeSpan linger, bool peerSendsNoMore)
    {
        try
        {
            await FlushAsync().ConfigureAwait(false);
            await _output.Writer.CompleteAsync().ConfigureAwait(false);
            await _pump.ConfigureAwait(false);
            // A peer that stopped reading can leave even the last few bytes of a close (TLS close_notify) unsent:
            // the send timeout watches them too, and the linger time bounds the wait.
            SetSendingOutsideQueue(true);
            try
            {
                await ShutdownSendAsync().AsTask().WaitAsync(linger, _clock).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return;
            }
            finally
            {
                SetSendingOutsideQueue(false);
            }
            if (peerSendsNoMore && !IsInputPending())
            {
                return;
            }
            await DiscardInputAsync(linger).ConfigureAwait(false);
        }
        finally
        {
            Abort();
        }
    }

    // Bytes the peer sent that nobody read, buffered here or still in the kernel: closing over them would send a reset.
    private bool IsInputPending()
    {
        if (Input.TryRead(out var buffered))
        {
            var pending = !buffered.Buffer.IsEmpty;
            Input.AdvanceTo(buffered.Buffer.Start);
            if (pending)
            {
                return true;
            }
        }
        return _socket.Available > 0;
    }

    /// <summary>Tells the peer no more bytes follow (TLS close_notify, then a TCP half-close).</summary>
    protected virtual ValueTask ShutdownSendAsync()
    {
        _socket.Shutdown(SocketShutdown.Send);
        return ValueTask.CompletedTask;
    }

    private async Task DiscardInputAsync(TimeSpan linger)
    {
        using var timeout = new CancellationTokenSource(linger, _clock);
        try
        {
            while (true)
            {
                var result = await Input.ReadAsync(timeout.Token).ConfigureAwait(false);
                Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The peer kept the connection open past the linger time: close anyway.
        }
    }

    /// <inheritdoc />
    public CancellationToken Aborted
    {
        get
        {
            if (IsAborted)
            {
                return new CancellationToken(canceled: true);
            }
            var source = Volatile.Read(ref _abortedSource);
            if (source is null)
            {
                var created = new CancellationTokenSource();
                source = Interlocked.CompareExchange(ref _abortedSource, created, null) ?? created;
                if (!ReferenceEquals(source, created))
                {
                    created.Dispose();
                }
            }
            // An abort between the check above and the source's creation found no source to cancel.
            if (IsAborted)
            {
                source.Cancel();
            }
            return source.Token;
        }
    }

    /// <inheritdoc />
    public bool PeerHasClosed
    {
        get
        {
            try
            {
                return _socket.Poll(0, SelectMode.SelectRead) && _socket.Available == 0;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return true;
            }
        }
    }

    /// <inheritdoc />
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }
        Volatile.Read(ref _abortedSource)?.Cancel();
        Interlocked.CompareExchange(ref _sendError, new IOException("connection aborted"), null);
        _socket.Dispose();
        _output.Reader.CancelPendingRead();
        ReleaseDrainIfDone();
        Volatile.Read(ref _emptyWaiter)?.TrySetResult();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Abort();
        await _pump.ConfigureAwait(false);
        _abortedSource?.Dispose();
        await _output.Writer.CompleteAsync().ConfigureAwait(false);
        await Input.CompleteAsync().ConfigureAwait(false);
        await ReleaseAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the subclass holds, after the pump has stopped.</summary>
    protected virtual ValueTask ReleaseAsync() => ValueTask.CompletedTask;

    private async Task PumpAsync()
    {
        var reader = _output.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    throw new IOException("connection aborted");
                }
                var buffer = result.Buffer;
                var sending = buffer.Slice(0, SendSize(buffer.Length));
                if (!sending.IsEmpty)
                {
                    await SendQueuedAsync(sending).ConfigureAwait(false);
                    Interlocked.Add(ref _sent, sending.Length);
                }
                reader.AdvanceTo(sending.End);
                ReleaseDrainIfDone();
                if (Interlocked.Read(ref _sent) == Interlocked.Read(ref _committed))
                {
                    Volatile.Read(ref _emptyWaiter)?.TrySetResult();
                }
                if (result.IsCompleted && sending.Length == buffer.Length)
                {
                    break;
                }
            }
            await reader.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Kept, and thrown to the writer by the next DrainAsync/FlushAsync: that is the contract. Whatever the
            // kind — a waiting writer must never be left to the send timeout because the pump died of a surprise.
            var error = e switch
            {
                IOException => e,
                SocketException socket => new IOException($"send failed: {socket.SocketErrorCode}", socket),
                ObjectDisposedException when IsAborted => new IOException("connection aborted", e),
                _ => e,
            };
            Interlocked.CompareExchange(ref _sendError, error, null);
            await reader.CompleteAsync(error).ConfigureAwait(false);
            ReleaseDrainIfDone();
            Volatile.Read(ref _emptyWaiter)?.TrySetResult();
        }
    }

    // How much of the queue the next send takes. All of it, unless the queue is at or above the high watermark (a
    // drain waits, or will): then all but the low watermark, so the writer resumes with that much still to send and
    // refills the queue while it goes out — as asyncio resumes its writer after any send that leaves no more than the
    // low watermark. Sending everything at once would resume it only at empty. (Whole multiples of 16 KiB with the
    // default watermarks: full TLS records.)
    private long SendSize(long queued) =>
        queued >= _options.HighWatermark ? queued - _options.LowWatermark : queued;

    /// <summary>Sends queued bytes; the pump awaits it before taking more from the queue.</summary>
    protected abstract ValueTask SendQueuedAsync(ReadOnlySequence<byte> buffer);

    private void ThrowIfFailed()
    {
        if (Volatile.Read(ref _sendError) is { } error)
        {
            if (error is IOException)
            {
                throw new IOException(error.Message, error);
            }
            ExceptionDispatchInfo.Throw(error);
        }
    }
}
