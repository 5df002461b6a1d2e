namespace FileServer.Hosting;

/// <summary>
/// The timeout of one connection's waits for input, started and stopped around every wait without moving a timer: the
/// timer stays set for the deadline it was set for and, when it fires, compares the wait then under way (if any)
/// with its own deadline, setting itself again for the rest — as nginx's lazy timers do. Only a deadline earlier than
/// the one the timer is set for moves it (a head's timeout after an idle one).
/// </summary>
/// <remarks>
/// Moving the runtime's timer takes its queue's lock and re-sorts it: twice a request, once to arm and once to
/// disarm, cost a keep-alive request about 2 % of the server's time (perf, 50 connections).
/// </remarks>
internal sealed class LazyWaitTimeout(TimeProvider clock, Action expired) : IDisposable
{
    private readonly Lock _gate = new();
    private ITimer? _timer;
    // Timestamps of the clock: the current wait's deadline, and when the timer will fire (MaxValue: it will not).
    private long _deadline;
    private long _firesAt = long.MaxValue;
    private bool _waiting;
    private bool _disposed;

    /// <summary>A wait starts: the expiry action runs once it has lasted <paramref name="timeout"/>, unless stopped first.</summary>
    public void Start(TimeSpan timeout)
    {
        var now = clock.GetTimestamp();
        var deadline = now + ToTimestamp(timeout);
        lock (_gate)
        {
            _deadline = deadline;
            _waiting = true;
            if (_firesAt > deadline && !_disposed)
            {
                SetTimer(deadline, now);
            }
        }
    }

    /// <summary>The wait is over: the timer, when it fires, finds nothing to time out.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _waiting = false;
        }
    }

    /// <summary>Releases the timer; nothing expires after this.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }
        _timer?.Dispose();
    }

    private void Fire()
    {
        lock (_gate)
        {
            _firesAt = long.MaxValue;
            if (!_waiting || _disposed)
            {
                return;
            }
            var now = clock.GetTimestamp();
            if (now < _deadline)
            {
                SetTimer(_deadline, now);
                return;
            }
            _waiting = false;
        }
        // Outside the lock: what expiry does (cancelling a read) may run the reader's continuation here.
        expired();
    }

    // Under the lock.
    private void SetTimer(long deadline, long now)
    {
        _firesAt = deadline;
        var due = clock.GetElapsedTime(now, deadline);
        if (_timer is null)
        {
            _timer = clock.CreateTimer(static state => ((LazyWaitTimeout)state!).Fire(), this, due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private long ToTimestamp(TimeSpan span) =>
        (long)Math.Min(span.Ticks * ((double)clock.TimestampFrequency / TimeSpan.TicksPerSecond), long.MaxValue / 4);
}
