using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace FileServer.Transport;

/// <summary>
/// A reusable awaitable socket send — one buffer, a gathered list, or a file range — completing once the kernel has
/// taken every byte. On Linux .NET turns a file element into <c>sendfile(2)</c> at its offset, waiting on epoll when
/// the socket is full.
/// </summary>
/// <remarks>
/// Why not <c>Socket.SendAsync</c>: its failures are created with <c>ExceptionDispatchInfo.SetCurrentStackTrace</c>,
/// which renders a stack trace with file information — the first client that leaves mid-download then loads
/// System.Diagnostics.StackTrace, System.Reflection.Metadata and the server's symbols. A peer going away is ordinary;
/// here it costs one <see cref="SocketException"/> and nothing more. One operation at a time per instance.
/// </remarks>
internal sealed class SocketSendOperation : SocketAsyncEventArgs, IValueTaskSource<int>
{
    private readonly SendPacketsElement[] _elements = new SendPacketsElement[1];
    private ManualResetValueTaskSourceCore<int> _completion;

    public SocketSendOperation() : base(unsafeSuppressExecutionContextFlow: true)
    {
        _completion.RunContinuationsAsynchronously = true;
    }

    /// <summary>Sends all of <paramref name="bytes"/>; the result is the count sent.</summary>
    public ValueTask<int> SendAsync(Socket socket, ReadOnlyMemory<byte> bytes)
    {
        _completion.Reset();
        BufferList = null;
        // The memory stays the caller's until the send completes; SocketAsyncEventArgs only reads it.
        SetBuffer(System.Runtime.InteropServices.MemoryMarshal.AsMemory(bytes));
        return Start(socket.SendAsync(this));
    }

    /// <summary>Sends all of <paramref name="segments"/> in one gathered send (sendmsg); the result is the count sent.</summary>
    public ValueTask<int> SendAsync(Socket socket, IList<ArraySegment<byte>> segments)
    {
        _completion.Reset();
        SetBuffer(null, 0, 0);
        BufferList = segments;
        return Start(socket.SendAsync(this));
    }

    /// <summary>Sends <paramref name="count"/> (&gt; 0) bytes of <paramref name="file"/> from <paramref name="offset"/>.</summary>
    public ValueTask<int> SendFileAsync(Socket socket, FileStream file, long offset, int count)
    {
        _completion.Reset();
        _elements[0] = new SendPacketsElement(file, offset, count, endOfPacket: false);
        SendPacketsElements = _elements;
        return Start(socket.SendPacketsAsync(this));
    }

    private ValueTask<int> Start(bool pending)
    {
        if (!pending)
        {
            Complete();
        }
        return new ValueTask<int>(this, _completion.Version);
    }

    protected override void OnCompleted(SocketAsyncEventArgs e) => Complete();

    private void Complete()
    {
        _elements[0] = null!;
        SendPacketsElements = null;
        BufferList = null;
        SetBuffer(Memory<byte>.Empty);
        if (SocketError == SocketError.Success)
        {
            _completion.SetResult(BytesTransferred);
        }
        else
        {
            _completion.SetException(new SocketException((int)SocketError));
        }
    }

    int IValueTaskSource<int>.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);
}
