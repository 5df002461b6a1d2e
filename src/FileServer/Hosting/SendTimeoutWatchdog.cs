using System.Collections.Concurrent;
using FileServer.Transport;
using Microsoft.Extensions.Logging;

namespace FileServer.Hosting;

/// <summary>
/// Aborts connections whose peer accepts no byte for the send timeout, on both body paths. One timer for
/// the whole server looks at every sending connection's <see cref="ITransport.SendProgress"/>; a connection
/// that is not sending (reading a request, idle) is not watched: other timeouts cover those states. The timer runs
/// only while a connection is open.
/// </summary>
internal sealed class SendTimeoutWatchdog : IAsyncDisposable
{
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly ServerMetrics? _metrics;
    private readonly ConcurrentDictionary<Watched, byte> _watched = new();
    private readonly PeriodicLoop _loop;

    public SendTimeoutWatchdog(TimeSpan timeout, TimeProvider clock, ILogger log, ServerMetrics? metrics = null)
    {
        _metrics = metrics;
        _timeout = timeout;
        _clock = clock;
        _log = log;
        // A stall is noticed at most one period late and acted on at most one period late: checking ten times
        // per timeout (at most once a second) keeps the overshoot within a fifth of it, or two seconds.
        var period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 10, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerSecond));
        _loop = new PeriodicLoop(period, _clock, CheckAll);
    }

    /// <summary>Watches <paramref name="transport"/> until the returned registration is disposed.</summary>
    public IDisposable Watch(ITransport transport, string client)
    {
        var watched = new Watched(this, transport, client);
        _watched[watched] = 0;
        _loop.Wake();
        return watched;
    }

    public ValueTask DisposeAsync() => _loop.DisposeAsync();

    // Whether to go on: not once the last connection is gone.
    private bool CheckAll()
    {
        var now = _clock.GetTimestamp();
        foreach (var watched in _watched.Keys)
        {
            watched.Check(now);
        }
        return !_watched.IsEmpty;
    }

    private sealed class Watched(SendTimeoutWatchdog owner, ITransport transport, string client) : IDisposable
    {
        private long _lastProgress = -1;
        private long _stalledSince;

        public void Check(long now)
        {
            if (!transport.IsSending)
            {
                _lastProgress = -1;
                return;
            }
            var progress = transport.SendProgress;
            if (progress != _lastProgress)
            {
                _lastProgress = progress;
                _stalledSince = now;
                return;
            }
            if (owner._clock.GetElapsedTime(_stalledSince, now) >= owner._timeout)
            {
                ServerLog.SendTimedOut(owner._log, client, owner._timeout);
                owner._metrics?.Aborted(AbortCause.SendTimeout);
                transport.Abort();
                Dispose();
            }
        }

        public void Dispose() => owner._watched.TryRemove(this, out _);
    }
}
