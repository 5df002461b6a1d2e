namespace FileServer.Hosting;

/// <summary>
/// Runs a check once a period on the given clock while it has something to look at: a tick that answers
/// <see langword="false"/> ends the loop until <see cref="Wake"/> starts it again. The server's background checks
/// (send timeouts, the memory trim) each own one, so that an idle server makes no wake-ups at all; ticking once a
/// second with nothing to check, a fresh idle server's RSS grew from 39.8 to 42 MiB in 80 s as the runtime
/// recompiled the loop's code and woke thread-pool workers for it (docs/performance.md, "Idle memory").
/// </summary>
internal sealed class PeriodicLoop : IAsyncDisposable
{
    private readonly TimeSpan _period;
    private readonly TimeProvider _clock;
    private readonly Func<bool> _tick;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private Task _loop = Task.CompletedTask;
    private bool _running;
    private bool _disposed;
    // Woken while running: the loop may be about to end on a tick that looked before the new work came.
    private bool _woken;

    /// <summary>
    /// A loop that calls <paramref name="tick"/> every <paramref name="period"/> of <paramref name="clock"/> from the
    /// first <see cref="Wake"/> on, for as long as the tick answers <see langword="true"/> (it has more to look at).
    /// </summary>
    public PeriodicLoop(TimeSpan period, TimeProvider clock, Func<bool> tick)
    {
        _period = period;
        _clock = clock;
        _tick = tick;
    }

    /// <summary>Whether the loop is running now.</summary>
    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _running;
            }
        }
    }

    /// <summary>
    /// Starts the loop if it is not running (its first tick one period from now); call it after adding work the
    /// tick will see. Does nothing once disposed.
    /// </summary>
    public void Wake()
    {
        // Running and woken already: the loop takes at least one more tick, after this call, without another word. A
        // server calls this for every connection it starts, tens of thousands a second under a connection per request.
        if (Volatile.Read(ref _woken) && Volatile.Read(ref _running))
        {
            return;
        }
        lock (_gate)
        {
            if (_running)
            {
                _woken = true;
                return;
            }
            if (_disposed)
            {
                return;
            }
            _running = true;
            _woken = false;
            _loop = RunAsync();
        }
    }

    /// <summary>Stops the loop and waits for the tick in progress.</summary>
    public async ValueTask DisposeAsync()
    {
        Task loop;
        lock (_gate)
        {
            _disposed = true;
            loop = _loop;
        }
        // Outside the lock: cancelling may run the loop's continuation on this thread.
        await _stop.CancelAsync().ConfigureAwait(false);
        await loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        try
        {
            using var timer = new PeriodicTimer(_period, _clock);
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (_tick())
                {
                    continue;
                }
                lock (_gate)
                {
                    if (!_woken)
                    {
                        _running = false;
                        return;
                    }
                    _woken = false;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed: that is how a running loop stops.
            lock (_gate)
            {
                _running = false;
            }
        }
    }
}
