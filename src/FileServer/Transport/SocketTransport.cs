using System.Runtime.CompilerServices;
using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FileServer.Platform;

namespace FileServer.Transport;

/// <summary>
/// A plain TCP connection: the asyncio write/drain contract over a <see cref="Pipe"/> whose pause and resume
/// thresholds are the high and low watermarks, and zero-copy file sending through the kernel.
/// </summary>
public sealed class SocketTransport : ITransport
{
    private readonly Socket _socket;
    private readonly IPlatform _platform;
    private readonly TransportOptions _options;
    private readonly Pipe _output;
    private readonly PipeReader _input;
    private readonly Task _pump;
    private readonly List<ArraySegment<byte>> _gather = new(4);
    private SendFileOperation? _sendFile;

    // Bytes committed by the writer and bytes handed to the kernel by the pump: equal means the queue is empty.
    private long _committed;
    private long _sent;
    private ValueTask<FlushResult> _pendingFlush;
    private bool _flushPending;
    private TaskCompletionSource? _emptyWaiter;
    private Exception? _sendError;
    private int _aborted;
    private int _sendingFile;

    /// <summary>Takes ownership of a connected socket and starts the send pump.</summary>
    public SocketTransport(Socket socket, IPlatform platform, TransportOptions options)
    {
        _socket = socket;
        _platform = platform;
        _options = options;
        _socket.NoDelay = true;
        // The pump resumes inline when a write commits bytes: a small response leaves in the writer's own
        // send call, without a hand-off to another thread. Only when the socket is full does it continue on
        // the socket's completion, as any awaited send does.
        _output = new Pipe(new PipeOptions(
            readerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: options.HighWatermark,
            resumeWriterThreshold: options.LowWatermark,
            minimumSegmentSize: 16 * 1024,
            useSynchronizationContext: false));
        // Zero-byte reads: an idle keep-alive connection waits for data without holding a rented buffer.
        _input = PipeReader.Create(new NetworkStream(socket, ownsSocket: false),
            new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true, useZeroByteReads: true));
        RemoteEndPoint = socket.RemoteEndPoint;
        _pump = Task.Run(PumpAsync);
    }

    /// <inheritdoc />
    public PipeReader Input => _input;

    /// <inheritdoc />
    public EndPoint? RemoteEndPoint { get; }

    /// <inheritdoc />
    public bool CanSendFile => true;

    /// <summary>Bytes handed to the kernel so far, queued writes and file ranges alike.</summary>
    public long BytesSent => Interlocked.Read(ref _sent);

    /// <summary>Bytes written but not yet handed to the kernel: what the watermarks bound.</summary>
    public long QueuedBytes => Interlocked.Read(ref _committed) - Interlocked.Read(ref _sent);

    /// <inheritdoc />
    public bool IsSending => QueuedBytes > 0 || Volatile.Read(ref _sendingFile) != 0;

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
    public async ValueTask<long> SendFileAsync(FileStream file, long offset, long count, CancellationToken cancellationToken = default)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _sendingFile, 1);
        try
        {
            return await SendFileRangeAsync(file, offset, count).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _sendingFile, 0);
        }
    }

    private async ValueTask<long> SendFileRangeAsync(FileStream file, long offset, long count)
    {
        var operation = _sendFile ??= new SendFileOperation();
        long total = 0;
        while (total < count)
        {
            // .NET refuses a range past the end of the file (EINVAL), so a file that shrank is clamped here and
            // reported as a short count, which the caller treats as truncation.
            var available = RandomAccess.GetLength(file.SafeFileHandle) - (offset + total);
            var slice = (int)Math.Min(Math.Min(count - total, _options.SendFileChunk), Math.Max(0, available));
            if (slice == 0)
            {
                break;
            }
            int sent;
            try
            {
                sent = await operation.SendAsync(_socket, file, offset + total, slice).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                var error = new IOException($"sendfile failed: {e.SocketErrorCode}", e);
                Interlocked.CompareExchange(ref _sendError, error, null);
                throw error;
            }
            catch (ObjectDisposedException e)
            {
                throw new IOException("connection aborted", e);
            }
            total += sent;
            Interlocked.Add(ref _sent, sent);
            Interlocked.Add(ref _committed, sent);
            if (sent < slice)
            {
                break;
            }
        }
        return total;
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
    public async ValueTask CloseAsync(TimeSpan linger)
    {
        try
        {
            await FlushAsync().ConfigureAwait(false);
            await _output.Writer.CompleteAsync().ConfigureAwait(false);
            await _pump.ConfigureAwait(false);
            _socket.Shutdown(SocketShutdown.Send);
            await DiscardInputAsync(linger).ConfigureAwait(false);
        }
        finally
        {
            Abort();
        }
    }

    private async Task DiscardInputAsync(TimeSpan linger)
    {
        using var timeout = new CancellationTokenSource(linger);
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(timeout.Token).ConfigureAwait(false);
                _input.AdvanceTo(result.Buffer.End);
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
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }
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
        await _output.Writer.CompleteAsync().ConfigureAwait(false);
        await _input.CompleteAsync().ConfigureAwait(false);
        _sendFile?.Dispose();
    }

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
                    await SendAsync(buffer).ConfigureAwait(false);
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

    // Runs once per request (or per queued send): pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAsync(ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            var memory = buffer.First;
            while (!memory.IsEmpty)
            {
                var sent = await _socket.SendAsync(memory, SocketFlags.None).ConfigureAwait(false);
                memory = memory[sent..];
            }
            return;
        }
        // Several segments leave in one gathered send (sendmsg), not one syscall each.
        _gather.Clear();
        foreach (var segment in buffer)
        {
            if (!MemoryMarshal.TryGetArray(segment, out var array))
            {
                throw new InvalidOperationException("pipe memory is expected to be array-backed");
            }
            _gather.Add(array);
        }
        var remaining = buffer.Length;
        while (remaining > 0)
        {
            var sent = await _socket.SendAsync(_gather, SocketFlags.None).ConfigureAwait(false);
            remaining -= sent;
            if (remaining > 0)
            {
                TrimGathered(sent);
            }
        }
    }

    private void TrimGathered(int sent)
    {
        while (sent > 0)
        {
            var first = _gather[0];
            if (sent >= first.Count)
            {
                sent -= first.Count;
                _gather.RemoveAt(0);
            }
            else
            {
                _gather[0] = first[sent..];
                sent = 0;
            }
        }
    }

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
