namespace FileServer.Tests.Support;

/// <summary>The system clock, counting the timers made from it that are not yet disposed, and those set to fire.</summary>
public sealed class CountingTimeProvider : TimeProvider
{
    private int _live;
    private int _armed;
    private int _created;

    /// <summary>Timers ever created.</summary>
    public int CreatedTimers => Volatile.Read(ref _created);

    /// <summary>Timers created and not yet disposed.</summary>
    public int LiveTimers => Volatile.Read(ref _live);

    /// <summary>Timers not yet disposed whose last due time was not infinite: those that wake the process.</summary>
    public int ArmedTimers => Volatile.Read(ref _armed);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _live);
        Interlocked.Increment(ref _created);
        var timer = new CountedTimer(this);
        timer.Arm(dueTime);
        timer.Inner = System.CreateTimer(callback, state, dueTime, period);
        return timer;
    }

    private sealed class CountedTimer(CountingTimeProvider owner) : ITimer
    {
        private readonly Lock _gate = new();
        private bool _armed;
        private bool _disposed;

        public ITimer Inner { get; set; } = null!;

        public void Arm(TimeSpan dueTime)
        {
            lock (_gate)
            {
                var armed = !_disposed && dueTime != Timeout.InfiniteTimeSpan;
                if (armed != _armed)
                {
                    Interlocked.Add(ref owner._armed, armed ? 1 : -1);
                    _armed = armed;
                }
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Arm(dueTime);
            return Inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            lock (_gate)
            {
                if (!_disposed)
                {
                    _disposed = true;
                    Interlocked.Decrement(ref owner._live);
                    if (_armed)
                    {
                        Interlocked.Decrement(ref owner._armed);
                        _armed = false;
                    }
                }
            }
            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
