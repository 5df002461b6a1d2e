using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace FileServer.Transport;

/// <summary>
/// A reusable awaitable socket operation: a <see cref="SocketAsyncEventArgs"/> whose completion is a
/// <see cref="ValueTask{TResult}"/> of the bytes transferred, and whose failure is a plain <see cref="SocketException"/>.
/// </summary>
/// <remarks>
/// Why not .NET's <c>Socket.SendAsync</c>/<c>ReceiveAsync</c>: their failures are created with
/// <c>ExceptionDispatchInfo.SetCurrentStackTrace</c>, which renders a stack trace with file information — the first
/// client that leaves makes the server load System.Diagnostics.StackTrace, System.Reflection.Metadata and its
/// symbols. A peer going away is ordinary; here it costs one exception and nothing more. One operation at a time.
/// </remarks>
internal abstract class SocketOperation : SocketAsyncEventArgs, IValueTaskSource<int>
{
    private ManualResetValueTaskSourceCore<int> _completion;

    protected SocketOperation() : base(unsafeSuppressExecutionContextFlow: true)
    {
        _completion.RunContinuationsAsynchronously = true;
    }

    /// <summary>
    /// Readies the next operation; call before setting its buffers. With <paramref name="resumeInline"/> the awaiting
    /// code resumes on the thread that completes it (the socket engine's) instead of being queued to the thread pool.
    /// </summary>
    protected void Reset(bool resumeInline = false)
    {
        TransferredBeforeFailure = 0;
        _completion.Reset();
        _completion.RunContinuationsAsynchronously = !resumeInline;
    }

    /// <summary>
    /// What the last operation moved before it failed: a send cut off by an abort or a reset may have handed the kernel
    /// part of its bytes, and a count of what left must include them. Zero after a success (see the result).
    /// </summary>
    public int TransferredBeforeFailure { get; private set; }

    /// <summary>Turns the result of <c>socket.XxxAsync(this)</c> into the operation's task.</summary>
    protected ValueTask<int> Start(bool pending)
    {
        if (!pending)
        {
            Complete();
        }
        return new ValueTask<int>(this, _completion.Version);
    }

    /// <summary>Lets go of the operation's buffers, so nothing the caller owns stays referenced.</summary>
    protected abstract void ClearBuffers();

    protected sealed override void OnCompleted(SocketAsyncEventArgs e) => Complete();

    private void Complete()
    {
        ClearBuffers();
        if (SocketError == SocketError.Success)
        {
            _completion.SetResult(BytesTransferred);
        }
        else
        {
            TransferredBeforeFailure = BytesTransferred;
            _completion.SetException(new SocketException((int)SocketError));
        }
    }

    int IValueTaskSource<int>.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);
}
