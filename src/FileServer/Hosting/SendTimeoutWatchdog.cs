using Microsoft.Extensions.Logging;

namespace FileServer.Hosting;

/// <summary>
/// Aborts connections whose peer accepts no byte for the send timeout, on both body paths. One timer for
/// the whole server looks at every running connection's <see cref="Transport.ITransport.SendProgress"/>; a connection
/// that is not sending (reading a request, idle) is not timed: other timeouts cover those states. The timer runs
/// only while a connection is open.
/// </summary>
/// <remarks>
/// The connections come from the <see cref="ConnectionRegistry"/>, and what the timer remembers of a stall it keeps
/// itself, for the connections it found sending: a connection that starts costs no registration here (a
/// connection-per-request load starts tens of thousands a second, and nearly none of them is ever seen sending).
/// </remarks>
internal sealed class SendTimeoutWatchdog : IAsyncDisposable
{
    private readonly ConnectionRegistry _connections;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly ServerMetrics? _metrics;
    private readonly PeriodicLoop _loop;
    // The connections found sending at the last tick, with their progress then and since when it has not moved. Only
    // the loop's ticks touch them, one at a time.
    private Dictionary<Connection, Stall> _stalls = [];
    private Dictionary<Connection, Stall> _nextStalls = [];

    public SendTimeoutWatchdog(ConnectionRegistry connections, TimeSpan timeout, TimeProvider clock, ILogger log, ServerMetrics? metrics = null)
    {
        _connections = connections;
        _metrics = metrics;
        _timeout = timeout;
        _clock = clock;
        _log = log;
        // A stall is noticed at most one period late and acted on at most one period late: checking ten times
        // per timeout (at most once a second) keeps the overshoot within a fifth of it, or two seconds.
        var period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 10, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerSecond));
        _loop = new PeriodicLoop(period, _clock, CheckAll);
    }

    /// <summary>Starts the timer if it is not running; call it after a connection has started.</summary>
    public void Wake() => _loop.Wake();

    public ValueTask DisposeAsync() => _loop.DisposeAsync();

    // Whether to go on: not once the last connection is gone.
    private bool CheckAll()
    {
        var now = _clock.GetTimestamp();
        foreach (var connection in _connections.Running)
        {
            var transport = connection.Transport;
            if (!transport.IsSending)
            {
                continue;
            }
            var progress = transport.SendProgress;
            if (!_stalls.TryGetValue(connection, out var stall) || stall.Progress != progress)
            {
                _nextStalls[connection] = new Stall(progress, now);
                continue;
            }
            if (_clock.GetElapsedTime(stall.Since, now) >= _timeout)
            {
                ServerLog.SendTimedOut(_log, connection.Client, _timeout);
                _metrics?.Aborted(AbortCause.SendTimeout);
                transport.Abort();
                continue;
            }
            _nextStalls[connection] = stall;
        }
        // What is not found sending now starts afresh when it is next found sending.
        (_stalls, _nextStalls) = (_nextStalls, _stalls);
        _nextStalls.Clear();
        return _connections.Count > 0;
    }

    // A sending connection's progress (bytes acknowledged) when last seen, and since when it has not moved.
    private readonly record struct Stall(long Progress, long Since);
}
