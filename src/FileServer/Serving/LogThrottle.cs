namespace FileServer.Serving;

/// <summary>
/// Lets one event through per interval and counts the rest, so a failure that repeats thousands of times a second
/// (an accept loop out of descriptors) costs one log line a second, not a flood that needs descriptors of its own.
/// </summary>
internal sealed class LogThrottle(TimeProvider clock, TimeSpan interval)
{
    private readonly Lock _lock = new();
    private long _next = long.MinValue;
    private int _suppressed;

    /// <summary>True when this event should be logged; <paramref name="suppressed"/> is how many were not since the last one.</summary>
    public bool TryPass(out int suppressed)
    {
        var now = clock.GetTimestamp();
        lock (_lock)
        {
            if (now < _next)
            {
                _suppressed++;
                suppressed = 0;
                return false;
            }
            _next = now + (long)(interval.TotalSeconds * clock.TimestampFrequency);
            suppressed = _suppressed;
            _suppressed = 0;
            return true;
        }
    }
}
