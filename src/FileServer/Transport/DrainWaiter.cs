using System.Threading.Tasks.Sources;

namespace FileServer.Transport;

/// <summary>
/// The wait of one <see cref="ITransport.DrainAsync"/> for the queue to fall to the low watermark: armed by the
/// writer, released by the send pump once a send has taken the queue there, by a send error, or by the writer's
/// cancellation token — whichever comes first. One writer, so one wait at a time; reused for every wait.
/// </summary>
/// <remarks>
/// The writer resumes on the thread whose send made room (no continuation is posted): the next chunk is then read
/// and queued on the core that is sending, while the bytes still queued (the low watermark) keep the socket busy.
/// </remarks>
internal sealed class DrainWaiter : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core;
    private CancellationToken _token;
    private CancellationTokenRegistration _registration;
    private int _armed;

    /// <summary>Whether a drain is waiting now.</summary>
    public bool IsArmed => Volatile.Read(ref _armed) != 0;

    /// <summary>Starts a wait; the caller re-checks its condition afterwards and calls <see cref="Release"/> if it already holds.</summary>
    public ValueTask Arm(CancellationToken cancellationToken)
    {
        _core.Reset();
        _token = cancellationToken;
        Volatile.Write(ref _armed, 1);
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(static (state, token) => ((DrainWaiter)state!).Cancel(token), this);
        }
        return new ValueTask(this, _core.Version);
    }

    /// <summary>Ends the wait: normally, or with <paramref name="error"/> (a send error) thrown to the writer. No-op when none waits.</summary>
    public void Release(Exception? error = null)
    {
        if (Interlocked.Exchange(ref _armed, 0) == 0)
        {
            return;
        }
        if (error is null)
        {
            _core.SetResult(true);
        }
        else
        {
            _core.SetException(error);
        }
    }

    private void Cancel(CancellationToken token)
    {
        // A registration of an earlier wait that fires late must not end a later wait on another token.
        if (token == _token && Interlocked.Exchange(ref _armed, 0) != 0)
        {
            _core.SetException(new OperationCanceledException(token));
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        // Unregister, not Dispose: this may run inside the cancellation callback itself, which Dispose would wait for.
        _registration.Unregister();
        _registration = default;
        _core.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
