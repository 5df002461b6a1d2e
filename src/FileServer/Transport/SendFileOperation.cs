using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace FileServer.Transport;

/// <summary>
/// A reusable awaitable around <see cref="Socket.SendPacketsAsync"/> with one file element. On Linux .NET
/// turns that into <c>sendfile(2)</c> at the element's offset, waiting on epoll when the socket is full.
/// </summary>
internal sealed class SendFileOperation : SocketAsyncEventArgs, IValueTaskSource<int>
{
    private readonly SendPacketsElement[] _elements = new SendPacketsElement[1];
    private ManualResetValueTaskSourceCore<int> _completion;

    public SendFileOperation() : base(unsafeSuppressExecutionContextFlow: true)
    {
        _completion.RunContinuationsAsynchronously = true;
    }

    /// <summary>Sends <paramref name="count"/> (&gt; 0) bytes of <paramref name="file"/> from <paramref name="offset"/>.</summary>
    public ValueTask<int> SendAsync(Socket socket, FileStream file, long offset, int count)
    {
        _completion.Reset();
        _elements[0] = new SendPacketsElement(file, offset, count, endOfPacket: false);
        SendPacketsElements = _elements;
        if (!socket.SendPacketsAsync(this))
        {
            Complete();
        }
        return new ValueTask<int>(this, _completion.Version);
    }

    protected override void OnCompleted(SocketAsyncEventArgs e) => Complete();

    private void Complete()
    {
        _elements[0] = null!;
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
