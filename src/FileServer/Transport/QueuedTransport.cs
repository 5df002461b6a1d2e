using System.Runtime.CompilerServices;
using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FileServer.Platform;

namespace FileServer.Transport;

/// <summary>
/// The asyncio write/drain contract over a <see cref="Pipe"/> whose pause and resume thresholds are the high
/// and low watermarks, with a background pump that hands queued bytes to the connection as fast as the peer
/// reads them. Subclasses say how bytes leave: straight to the socket, or through TLS.
/// </summary>
public abstract class QueuedTransport : ITransport
{
    private readonly Socket _socket;
    private readonly IPlatform _platform;
    private readonly TransportOptions _options;
    private readonly Pipe _output;
    private Task _pump = Task.CompletedTask;

    // Bytes committed by the writer and bytes handed to the kernel by the pump: equal means the queue is empty.
    private long _committed;
    private long _sent;
    private ValueTask<FlushResult> _pendingFlush;
    private bool _flushPending;
    private TaskCompletionSource? _emptyWaiter;
    private Exception? _sendError;
    private int _aborted;
    private int _sendingOutsideQueue;
    // Made on first use: only a paced (rate-limited) response waits on anything but the socket.
    private CancellationTokenSource? _abortedSource;

    /// <summary>Takes ownership of a connected socket; the subclass starts the pump with <see cref="StartPump"/>.</summary>
    protected QueuedTransport(Socket socket, IPlatform platform, TransportOptions options)
    {
        _socket = socket;
        _platform = platform;
        _options = options;
        _socket.NoDelay = true;
        // The pump resumes inline when a write commits bytes: a small response leaves in the writer's own
        // send call, without a hand-off to another thread. Only when the socket is full does it continue on
        // the socket's completion, as any awaited send does.
        // A drain waiting for the queue to fall resumes inline too, on the thread whose send just made room: the
        // next chunk is then read and sent on one core. Resumed on another thread, the file bytes were read on
        // one core and copied into the socket on the other; perf showed that copy (_copy_from_iter) costing up
        // to 3x nginx's in some copy-path runs with 8 streams, and level with nginx's in every run since.
        _output = new Pipe(new PipeOptions(
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: options.HighWatermark,
            resumeWriterThreshold: options.LowWatermark,
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
    public long DirectWriteSpace => QueuedBytes == 0 && Volatile.Read(ref _sendError) is null && !IsAborted ? KernelSendSpace() : 0;

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
        if (Volatile.Read(ref _sendError) is not null)
        {
            // The peer is gone; the next DrainAsync reports it. Nothing is sent any more, as asyncio drops writes too.
            return;
        }
        if (!_flushPending)
        {
            // Commit now so the pump starts sending; keep a pending flush (queue above the high watermark) for DrainAsync.
            var flush = _output.Writer.FlushAsync();
            if (flush.IsCompletedSuccessfully)
            {
                _ = flush.Result;
            }
            else
            {
                _pendingFlush = flush;
                _flushPending = true;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask DrainAsync(CancellationToken cancellationToken = default)
    {
        if (!_flushPending && _output.Writer.UnflushedBytes == 0)
        {
            var error = Volatile.Read(ref _sendError);
            return error is null ? ValueTask.CompletedTask : ValueTask.FromException(new IOException(error.Message, error));
        }
        return DrainSlowAsync(cancellationToken);
    }

    // Runs once per request (or per queued send): pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask DrainSlowAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_flushPending)
            {
                _flushPending = false;
                var result = await _pendingFlush.ConfigureAwait(false);
                ThrowIfPeerGone(result);
            }
            if (_output.Writer.UnflushedBytes > 0)
            {
                var result = await _output.Writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                ThrowIfPeerGone(result);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException and not IOException)
        {
            throw new IOException(e.Message, e);
        }
    }

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
                await ShutdownSendAsync().AsTask().WaitAsync(linger).ConfigureAwait(false);
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
        using var timeout = new CancellationTokenSource(linger);
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
        _output.Writer.CancelPendingFlush();
        _output.Reader.CancelPendingRead();
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
                if (!buffer.IsEmpty)
                {
                    await SendQueuedAsync(buffer).ConfigureAwait(false);
                    Interlocked.Add(ref _sent, buffer.Length);
                }
                reader.AdvanceTo(buffer.End);
                if (Interlocked.Read(ref _sent) == Interlocked.Read(ref _committed))
                {
                    Volatile.Read(ref _emptyWaiter)?.TrySetResult();
                }
                if (result.IsCompleted)
                {
                    break;
                }
            }
            await reader.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // The send error is kept and surfaces from the next DrainAsync/FlushAsync: that is the contract.
            var error = e as IOException ?? new IOException(e.Message, e);
            Interlocked.CompareExchange(ref _sendError, error, null);
            await reader.CompleteAsync(error).ConfigureAwait(false);
            Volatile.Read(ref _emptyWaiter)?.TrySetResult();
        }
    }

    /// <summary>Sends queued bytes; the pump awaits it before taking more from the queue.</summary>
    protected abstract ValueTask SendQueuedAsync(ReadOnlySequence<byte> buffer);

    private static void ThrowIfPeerGone(FlushResult result)
    {
        if (result.IsCompleted || result.IsCanceled)
        {
            throw new IOException("connection closed");
        }
    }

    private void ThrowIfFailed()
    {
        var error = Volatile.Read(ref _sendError);
        if (error is not null)
        {
            throw new IOException(error.Message, error);
        }
    }
}
