using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using FileServer.Platform;

namespace FileServer.Transport;

/// <summary>
/// A connected socket as an asynchronous stream, for the request reader and for TLS: <see cref="NetworkStream"/>
/// without its failure path (see <see cref="SocketOperation"/>): a client that resets an idle keep-alive connection
/// costs one <see cref="IOException"/>, as <see cref="NetworkStream"/> would throw, wrapping a <see cref="SocketException"/>. One read and one write at a
/// time; the socket stays the caller's. With a <see cref="ReadResumption"/> a read may resume its caller on the thread
/// that completed it: with .NET's inline socket completions, the socket engine's event loop. With an
/// <see cref="IPlatform"/> a read first takes what is there without waiting (<see cref="IPlatform.ReceiveNow"/>), until
/// the first time nothing is.
/// </summary>
internal sealed class SocketStream(Socket socket, ReadResumption? resumption = null, IPlatform? platform = null) : Stream
{
    // Until nothing is there at once: .NET's asynchronous receive then waits (and makes the socket non-blocking, once).
    private bool _receiveNow = platform is not null;
    // Made on first use, like the sends: a connection whose request is there on arrival may never wait for one.
    private ReceiveOperation? _receive;
    // Made on first use: only TLS writes through the stream; a plain connection's bytes leave by its transport.
    private SocketSendOperation? _send;
    // A new connection's first bytes are nearly always there already (the listener defers the accept until they
    // arrive), so the first zero-byte read — a reader's "tell me when there is data" — would only cost a syscall:
    // .NET answers it with a one-byte MSG_PEEK before the real read.
    private bool _firstReadPending = true;
    // A zero-byte read answered by receiving what is there into a buffer rented for the moment, when the last one
    // found data there at once: under load the next request nearly always is, and .NET answers a zero-byte read with a
    // one-byte MSG_PEEK before the real read (two receives where one does). Returned as soon as it is emptied: an idle
    // connection holds no buffer.
    private bool _dataWasThere;
    private byte[]? _stash;
    private int _stashStart;
    private int _stashCount;
    private const int StashSize = 4096;

    /// <summary>
    /// False once a read came back with fewer bytes than it had room for: the kernel held nothing more of the peer's
    /// at that moment (as nginx reads it from a short <c>recv</c>), so a close need not ask it again with
    /// <c>FIONREAD</c>. True before the first read and after one that filled its buffer.
    /// </summary>
    public bool MayHoldUnreadInput { get; private set; } = true;

    /// <summary>Whether a buffer of received bytes is held (only until they are read).</summary>
    internal bool HoldsStashedBytes => _stash is not null;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <remarks>
    /// A cancelled read ends the socket's receiving side (<c>shutdown(SHUT_RD)</c> wakes the pending receive): every
    /// read the server cancels — a head, idle or linger timeout, a stop — is the connection's last.
    /// </remarks>
    // Once per request on a keep-alive connection, and nearly always waiting: pooled state machines instead of a box
    // each (141 B a request, half of all the server allocated at wrk -c50). Every caller awaits the result once.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_firstReadPending)
        {
            _firstReadPending = false;
            if (buffer.IsEmpty)
            {
                return 0;
            }
        }
        if (_stashCount > 0)
        {
            return buffer.IsEmpty ? 0 : TakeStashed(buffer.Span);
        }
        try
        {
            if (buffer.IsEmpty && _dataWasThere && platform is not null && StashWhatIsThere())
            {
                return 0;
            }
            if (_receiveNow && !buffer.IsEmpty)
            {
                var now = platform!.ReceiveNow(socket, buffer.Span);
                if (now >= 0)
                {
                    return Received(now, buffer.Length);
                }
                _receiveNow = false;
            }
            var receive = (_receive ??= new ReceiveOperation(resumption)).ReceiveAsync(socket, buffer);
            if (buffer.IsEmpty)
            {
                _dataWasThere = receive.IsCompleted;
            }
            if (receive.IsCompleted || !cancellationToken.CanBeCanceled)
            {
                return Received(await receive.ConfigureAwait(false), buffer.Length);
            }
            int read;
            using (cancellationToken.UnsafeRegister(static s => EndReceiving((Socket)s!), socket))
            {
                read = await receive.ConfigureAwait(false);
            }
            cancellationToken.ThrowIfCancellationRequested();
            return Received(read, buffer.Length);
        }
        catch (SocketException e)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new IOException($"Unable to read data from the transport connection: {e.Message}", e);
        }
    }

    private int Received(int read, int room)
    {
        // A zero-byte read (room 0) only said that data had come, not how much.
        if (room > 0)
        {
            MayHoldUnreadInput = read == room;
        }
        return read;
    }

    // True when the zero-byte read can say "there is data" (or the peer's end): something was received into the stash.
    private bool StashWhatIsThere()
    {
        var stash = ArrayPool<byte>.Shared.Rent(StashSize);
        int received;
        try
        {
            received = platform!.ReceiveNow(socket, stash.AsSpan(0, StashSize));
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(stash);
            throw;
        }
        if (received <= 0)
        {
            // The peer's end (0), which the real read then finds again; or nothing yet (-1): .NET waits for it.
            ArrayPool<byte>.Shared.Return(stash);
            _dataWasThere = received == 0;
            return received == 0;
        }
        (_stash, _stashStart, _stashCount) = (stash, 0, received);
        MayHoldUnreadInput = received == StashSize;
        return true;
    }

    private int TakeStashed(Span<byte> buffer)
    {
        var count = Math.Min(buffer.Length, _stashCount);
        _stash.AsSpan(_stashStart, count).CopyTo(buffer);
        _stashStart += count;
        _stashCount -= count;
        if (_stashCount == 0)
        {
            ReturnStash();
        }
        return count;
    }

    private void ReturnStash()
    {
        if (_stash is { } stash)
        {
            _stash = null;
            _stashCount = 0;
            ArrayPool<byte>.Shared.Return(stash);
        }
    }

    private static void EndReceiving(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Receive);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed or reset: the pending receive ends by itself.
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await (_send ??= new SocketSendOperation()).SendAsync(socket, buffer).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new IOException($"Unable to write data to the transport connection: {e.Message}", e);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    // The server reads and writes asynchronously only; a synchronous call would block a thread-pool thread.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _receive?.Dispose();
            _send?.Dispose();
            ReturnStash();
        }
        base.Dispose(disposing);
    }

    /// <summary>A reusable awaitable receive into one buffer; 0 bytes is the peer's end of stream.</summary>
    private sealed class ReceiveOperation(ReadResumption? resumption) : SocketOperation
    {
        public ValueTask<int> ReceiveAsync(Socket socket, Memory<byte> buffer)
        {
            Reset(resumeInline: resumption?.Inline == true);
            SetBuffer(buffer);
            return Start(socket.ReceiveAsync(this));
        }

        protected override void ClearBuffers() => SetBuffer(Memory<byte>.Empty);
    }
}
