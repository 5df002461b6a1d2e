using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace FileServer.Transport;

/// <summary>
/// The asyncio write/drain queue of one connection: a <see cref="Pipe"/> holds the bytes, a pump hands them to a send
/// function as fast as the peer reads them, and <see cref="DrainAsync"/> waits while the queue is at or above the high
/// watermark until a send leaves no more than the low watermark. A send error is kept and thrown by the next drain.
/// </summary>
/// <remarks>
/// The pipe's own pause and resume thresholds are not used: the pipe pauses a writer only when a flush crosses the
/// high watermark, so after a cancelled drain the next one would not wait at all. The watermarks are checked here,
/// against the bytes written and the bytes sent, on every drain.
/// </remarks>
internal sealed class OutputQueue
{
    // The pump resumes inline when a write commits bytes: a small response leaves in the writer's own send call,
    // without a hand-off to another thread. A drain resumes inline too (DrainWaiter), on the thread whose send made
    // room, so the next chunk is read and sent on one core (perf showed the cross-core copy costing up to 3x).
    private static readonly PipeOptions PipeOptions = new(
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 0,
        resumeWriterThreshold: 0,
        minimumSegmentSize: 16 * 1024,
        useSynchronizationContext: false);

    private readonly TransportOptions _options;
    private readonly IQueuedBytesSender _sender;
    private readonly Pipe _pipe = new(PipeOptions);
    // Made by the first drain that has to wait (the writer's thread), read by the pump: a connection whose responses
    // all fit under the high watermark never needs it.
    private DrainWaiter? _drain;
    // Awaited once, by the first of CompleteAsync and DisposeAsync (which the transport calls one after the other):
    // its state machine is pooled, and a pooled task must not be awaited twice.
    private ValueTask _pump;
    private bool _pumpAwaited;

    // Bytes committed by the writer and bytes handed to the kernel: equal means the queue is empty.
    private long _committed;
    private long _sent;
    private TaskCompletionSource? _emptyWaiter;
    private SendFailure _failure;

    /// <summary>A queue bounded by <paramref name="options"/>' watermarks whose pump sends through <paramref name="sender"/>.</summary>
    public OutputQueue(TransportOptions options, IQueuedBytesSender sender)
    {
        _options = options;
        _sender = sender;
    }

    /// <summary>Bytes handed to the kernel, from the queue or outside it.</summary>
    public long BytesSent => Interlocked.Read(ref _sent);

    /// <summary>Bytes written, queued or sent outside the queue.</summary>
    public long BytesWritten => Interlocked.Read(ref _committed);

    /// <summary>Bytes written but not yet handed to the kernel: what the watermarks bound.</summary>
    public long QueuedBytes => Interlocked.Read(ref _committed) - Interlocked.Read(ref _sent);

    /// <summary>Whether a send has failed (or the connection was aborted).</summary>
    public bool HasFailed => _failure.HasFailed;

    /// <summary>Starts the pump; it runs up to its first wait on the empty queue.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2012", Justification = "kept to be awaited once: see _pumpAwaited")]
    public void Start() => _pump = PumpAsync();

    /// <summary>Queues bytes and starts sending them.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }
        _pipe.Writer.Write(bytes);
        Committed(bytes.Length);
    }

    /// <summary>Queues bytes that start to leave with the next write, drain or flush.</summary>
    public void WriteDeferred(ReadOnlySpan<byte> bytes)
    {
        _pipe.Writer.Write(bytes);
        Interlocked.Add(ref _committed, bytes.Length);
    }

    /// <summary>Queue memory to fill and then commit with <see cref="Commit"/>.</summary>
    public Memory<byte> GetMemory(int sizeHint) => _pipe.Writer.GetMemory(sizeHint);

    /// <summary>Commits <paramref name="count"/> bytes of the memory from <see cref="GetMemory"/> and starts sending them.</summary>
    public void Commit(int count)
    {
        if (count == 0)
        {
            return;
        }
        _pipe.Writer.Advance(count);
        Committed(count);
    }

    private void Committed(int count)
    {
        Interlocked.Add(ref _committed, count);
        if (!HasFailed)
        {
            // Once the peer is gone nothing is sent any more (asyncio drops writes too); the next drain reports it.
            Publish();
        }
    }

    // Makes committed bytes visible to the pump. The pipe never pauses its writer, so the flush is always complete.
    private void Publish()
    {
        var flush = _pipe.Writer.FlushAsync();
        if (!flush.IsCompleted)
        {
            throw new InvalidOperationException("a pipe without a pause threshold made its writer wait");
        }
        _ = flush.Result;
    }

    /// <summary>Returns at once below the high watermark; otherwise waits until the queue is at or below the low one.</summary>
    public ValueTask DrainAsync(CancellationToken cancellationToken)
    {
        if (_pipe.Writer.UnflushedBytes > 0 && !HasFailed)
        {
            Publish();
        }
        if (_failure.Failure() is { } error)
        {
            return ValueTask.FromException(SendFailure.Surface(error));
        }
        if (QueuedBytes < _options.HighWatermark)
        {
            return ValueTask.CompletedTask;
        }
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }
        var drain = Volatile.Read(ref _drain);
        if (drain is null)
        {
            drain = new DrainWaiter();
            Volatile.Write(ref _drain, drain);
        }
        var wait = drain.Arm(cancellationToken);
        // Checked again once armed: the pump may have made room, or failed, since the check above.
        ReleaseDrainIfDone();
        return wait;
    }

    private void ReleaseDrainIfDone()
    {
        if (Volatile.Read(ref _drain) is not { IsArmed: true } drain)
        {
            return;
        }
        if (_failure.Failure() is { } error)
        {
            drain.Release(SendFailure.Surface(error));
        }
        else if (QueuedBytes <= _options.LowWatermark)
        {
            drain.Release();
        }
    }

    /// <summary>Waits until every queued byte is handed to the kernel; throws the send error if there is one.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        await DrainAsync(cancellationToken).ConfigureAwait(false);
        if (Interlocked.Read(ref _sent) == Interlocked.Read(ref _committed))
        {
            _failure.ThrowIfFailed();
            return;
        }
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _emptyWaiter, waiter);
        // Re-checked after publishing the waiter: the pump may have emptied the queue in between.
        if (Interlocked.Read(ref _sent) == Interlocked.Read(ref _committed) || HasFailed)
        {
            waiter.TrySetResult();
        }
        await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        _failure.ThrowIfFailed();
    }

    /// <summary>Ends the queue once it is sent, and waits for the pump to stop.</summary>
    public async ValueTask CompleteAsync()
    {
        await _pipe.Writer.CompleteAsync().ConfigureAwait(false);
        _pumpAwaited = true;
        await _pump.ConfigureAwait(false);
    }

    /// <summary>Records a send error made outside the queue so the next drain reports it, and returns it.</summary>
    public IOException StoreSendError(IOException error)
    {
        _failure.Keep(error);
        return error;
    }

    /// <summary>Counts bytes that left outside the queue (a file range, a direct send) as both written and sent.</summary>
    public void CountSentOutsideQueue(long count)
    {
        Interlocked.Add(ref _sent, count);
        Interlocked.Add(ref _committed, count);
    }

    /// <summary>Stops sending: a waiting drain or flush ends with "connection aborted". Call before closing the socket.</summary>
    public void Abort()
    {
        // Every connection ends here, most with no error and nothing waiting: "connection aborted" is made only when
        // something asks (Failure).
        _failure.Abort();
        _pipe.Reader.CancelPendingRead();
        ReleaseDrainIfDone();
        Volatile.Read(ref _emptyWaiter)?.TrySetResult();
    }

    /// <summary>Waits for the pump to stop (after <see cref="Abort"/>) and releases the pipe.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_pumpAwaited)
        {
            _pumpAwaited = true;
            await _pump.ConfigureAwait(false);
        }
        await _pipe.Writer.CompleteAsync().ConfigureAwait(false);
    }

    // One per connection, pooled: after the pipe, the largest thing a connection-per-request load allocated.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask PumpAsync()
    {
        var reader = _pipe.Reader;
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
                    await _sender.SendQueuedAsync(sending).ConfigureAwait(false);
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
            // Kept and thrown by the next drain or flush, whatever the kind: a waiting writer must never be left to
            // the send timeout because the pump died of a surprise.
            var error = e switch
            {
                IOException => e,
                SocketException socket => new IOException($"send failed: {socket.SocketErrorCode}", socket),
                ObjectDisposedException when _failure.IsAborted => new IOException("connection aborted", e),
                _ => e,
            };
            _failure.Keep(error);
            await reader.CompleteAsync(error).ConfigureAwait(false);
            ReleaseDrainIfDone();
            Volatile.Read(ref _emptyWaiter)?.TrySetResult();
        }
    }

    // All of the queue, unless it is at or above the high watermark (a drain waits, or will): then all but the low
    // watermark, so the writer resumes with that much still to send and refills the queue while it goes out, as asyncio
    // resumes its writer after any send that leaves no more than the low watermark. (Whole 16 KiB TLS records with the
    // default watermarks.)
    private long SendSize(long queued) =>
        queued >= _options.HighWatermark ? queued - _options.LowWatermark : queued;
}
