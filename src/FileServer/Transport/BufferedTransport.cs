using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FileServer.Platform;

namespace FileServer.Transport;

/// <summary>
/// A connection with the asyncio write/drain contract: writes go to an <see cref="OutputQueue"/> bounded by the
/// watermarks, whose pump sends them as fast as the peer reads. Subclasses say how bytes leave (straight to the
/// socket, or through TLS) and how input arrives.
/// </summary>
internal abstract class BufferedTransport : ITransport, IQueuedBytesSender
{
    private readonly Socket _socket;
    private readonly TransportOptions _options;
    private readonly TimeProvider _clock;
    private readonly OutputQueue _queue;
    private readonly SocketProbe _probe;
    private int _aborted;
    // The send-timeout watchdog's probe (another thread) and the socket's close exclude each other: .NET closes a
    // socket that a call on another thread still holds with a reset, unless its send side was shut down first
    // (SafeSocketHandle.TryUnblockSocket), and the close that ends a Connection: close response no longer shuts it down.
    private int _probeState;
    private const int ProbeIdle = 0, Probing = 1, SocketClosed = 2;
    private int _sendingOutsideQueue;
    // Made on first use: only a paced (rate-limited) response waits on anything but the socket.
    private LazyCancellation _abortedSignal;

    /// <summary>
    /// Takes ownership of a connected socket; the subclass starts the pump with <see cref="StartPump"/>. Timeouts of
    /// the close run on <paramref name="clock"/> (the system's when null).
    /// </summary>
    protected BufferedTransport(Socket socket, IPlatform platform, TransportOptions options, TimeProvider? clock = null)
    {
        _socket = socket;
        _clock = clock ?? TimeProvider.System;
        _options = options;
        _queue = new OutputQueue(options, this);
        _probe = new SocketProbe(socket, platform);
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
    protected void StartPump() => _queue.Start();

    /// <inheritdoc />
    public virtual ValueTask OpenAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public virtual bool OpensAtOnce => true;

    /// <inheritdoc />
    public long BytesSent => _queue.BytesSent;

    /// <inheritdoc />
    public long BytesWritten => _queue.BytesWritten;

    /// <summary>Bytes written but not yet handed to the kernel: what the watermarks bound.</summary>
    public long QueuedBytes => _queue.QueuedBytes;

    /// <inheritdoc />
    public bool IsSending => QueuedBytes > 0 || Volatile.Read(ref _sendingOutsideQueue) != 0;

    /// <inheritdoc />
    public long SendProgress
    {
        get
        {
            if (Interlocked.CompareExchange(ref _probeState, Probing, ProbeIdle) != ProbeIdle)
            {
                return BytesSent;
            }
            try
            {
                return _probe.BytesAcknowledged(BytesSent);
            }
            finally
            {
                Volatile.Write(ref _probeState, ProbeIdle);
            }
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
            return queued < _options.HighWatermark && !_queue.HasFailed && !IsAborted
                ? Math.Max(0, KernelSendSpace() - queued)
                : 0;
        }
    }

    /// <inheritdoc />
    // Where the bytes cannot go to the kernel directly (TLS), they are queued and drained like any write.
    public virtual ValueTask SendDirectAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        Write(bytes.Span);
        return DrainAsync(cancellationToken);
    }

    /// <summary>Bytes the kernel's send buffer would take now without pushing back; 0 where unknown or not supported.</summary>
    protected virtual long KernelSendSpace() => 0;

    /// <summary>The kernel's view of this socket, for subclasses that ask it more.</summary>
    private protected SocketProbe Probe => _probe;

    /// <inheritdoc />
    public void Write(ReadOnlySpan<byte> bytes) => _queue.Write(bytes);

    /// <inheritdoc />
    public void WriteDeferred(ReadOnlySpan<byte> bytes) => _queue.WriteDeferred(bytes);

    /// <inheritdoc />
    public Memory<byte> GetWriteBuffer(int sizeHint) => _queue.GetMemory(sizeHint);

    /// <inheritdoc />
    public void CommitWrite(int count) => _queue.Commit(count);

    /// <inheritdoc />
    public void SendWithoutDelay() => _probe.SendWithoutDelay();

    /// <inheritdoc />
    public ValueTask DrainAsync(CancellationToken cancellationToken = default) => _queue.DrainAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => _queue.FlushAsync(cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<long> SendFileAsync(FileStream file, long offset, long count, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("this transport cannot hand files to the kernel");

    /// <summary>
    /// Marks bytes that leave outside the queue (a file range in the kernel's hands, a TLS close_notify) as in
    /// flight, or no longer: <see cref="IsSending"/> is what the send timeout watches.
    /// </summary>
    protected void SetSendingOutsideQueue(bool sending) => Volatile.Write(ref _sendingOutsideQueue, sending ? 1 : 0);

    /// <summary>Records a send error so the next drain reports it, and returns it.</summary>
    protected IOException StoreSendError(IOException error) => _queue.StoreSendError(error);

    /// <summary>Counts bytes that left outside the queue (a file range) as both written and sent.</summary>
    protected void CountSentOutsideQueue(long count) => _queue.CountSentOutsideQueue(count);

    /// <inheritdoc />
    // After an abort the probe's call meets a disposed socket, which it ignores.
    public void SetBatching(bool enabled) => _probe.SetCork(enabled);

    /// <inheritdoc />
    public virtual void HoldUntilClose() => _probe.HoldCork();

    /// <inheritdoc />
    public async ValueTask CloseAsync(TimeSpan linger, bool peerSendsNoMore)
    {
        try
        {
            await FlushAsync().ConfigureAwait(false);
            await _queue.CompleteAsync().ConfigureAwait(false);
            // A peer that stopped reading can leave even the last few bytes of a close (TLS close_notify) unsent:
            // the send timeout watches them too, and the linger time bounds the wait.
            if (peerSendsNoMore && CloseEndsSending && !GracefulClose.IsInputPending(Input, _socket, KernelMayHoldInput))
            {
                // Nothing to read and nothing more coming: the close below sends the FIN after the queued bytes, as
                // the half-close would, without its syscall.
                return;
            }
            SetSendingOutsideQueue(true);
            try
            {
                await GracefulClose.RunAsync(ShutdownSendAsync(), Input, _socket, linger, peerSendsNoMore, _clock).ConfigureAwait(false);
            }
            finally
            {
                SetSendingOutsideQueue(false);
            }
        }
        finally
        {
            Abort();
        }
    }

    /// <summary>
    /// Whether closing the socket tells the peer all a half-close would: true where no bytes of the protocol's own
    /// end (TLS close_notify) have to be sent first.
    /// </summary>
    protected virtual bool CloseEndsSending => false;

    /// <summary>Whether the kernel may hold unread input; false spares the close's <c>FIONREAD</c>.</summary>
    protected virtual bool KernelMayHoldInput => true;

    /// <summary>Tells the peer no more bytes follow (TLS close_notify, then a TCP half-close).</summary>
    protected virtual ValueTask ShutdownSendAsync()
    {
        _socket.Shutdown(SocketShutdown.Send);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public CancellationToken Aborted => _abortedSignal.Token;

    /// <inheritdoc />
    public bool PeerHasClosed => _probe.PeerHasClosed();

    /// <inheritdoc />
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }
        _abortedSignal.Cancel();
        _queue.Abort();
        // A probe in flight is one getsockopt: wait for it rather than let it turn this close into a reset.
        var spin = new SpinWait();
        while (Interlocked.CompareExchange(ref _probeState, SocketClosed, ProbeIdle) == Probing)
        {
            spin.SpinOnce();
        }
        _socket.Dispose();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Abort();
        await _queue.DisposeAsync().ConfigureAwait(false);
        _abortedSignal.Dispose();
        await Input.CompleteAsync().ConfigureAwait(false);
        await ReleaseAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the subclass holds, after the pump has stopped.</summary>
    protected virtual ValueTask ReleaseAsync() => ValueTask.CompletedTask;

    /// <summary>Sends queued bytes; the pump awaits it before taking more from the queue.</summary>
    protected abstract ValueTask SendQueuedAsync(ReadOnlySequence<byte> buffer);

    // An interface rather than a delegate: no delegate to allocate for every connection.
    ValueTask IQueuedBytesSender.SendQueuedAsync(ReadOnlySequence<byte> buffer) => SendQueuedAsync(buffer);
}
