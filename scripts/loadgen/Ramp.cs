using System.Collections.Concurrent;
using System.Diagnostics;

namespace LoadGen;

/// <summary>
/// Many connections held for a fixed time: the i-th of N is opened ramp·i/N seconds after the start, and a tick loop
/// runs from then until <c>seconds</c> after the ramp ended (every connect finished, or the ramp's bound passed),
/// acting on each connection that has joined. Arms the watchdog for that time and a margin.
/// </summary>
internal sealed class Ramp<T>
    where T : class
{
    private readonly ConcurrentQueue<T> _joined = new();
    private readonly int _clients;
    private readonly double _ramp;
    private readonly double _seconds;
    private readonly TimeSpan _connectTimeout;
    private readonly double _bound;

    public Ramp(int clients, double ramp, double seconds, TimeSpan connectTimeout)
    {
        _clients = clients;
        _ramp = ramp;
        _seconds = seconds;
        _connectTimeout = connectTimeout;
        _bound = ramp + connectTimeout.TotalSeconds + 5;
        Watchdog.Arm(TimeSpan.FromSeconds(_bound + seconds + 30));
    }

    /// <summary>Time since the ramp was made: when each connection joined, when the ramp and the run ended.</summary>
    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    /// <summary>The connections that joined, in the order they did.</summary>
    public List<T> Active { get; } = [];

    /// <summary>When the ramp ended, on <see cref="Clock"/>.</summary>
    public double RampDone { get; private set; }

    /// <summary>When the tick loop ended, on <see cref="Clock"/>.</summary>
    public double Ended { get; private set; }

    /// <summary>
    /// Opens the connections with <paramref name="connect"/> (null: it failed, and recorded why), calls
    /// <paramref name="onTick"/> for each joined connection every <paramref name="tick"/> with the time on
    /// <see cref="Clock"/>, and once the run is over adds the connections that join within the connect timeout.
    /// </summary>
    public async Task RunAsync(TimeSpan tick, Func<Task<T?>> connect, Action<T, double> onTick)
    {
        async Task ConnectOneAsync(int index)
        {
            var delay = _ramp * index / _clients;
            if (delay > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(delay));
            }
            if (await connect() is { } joined)
            {
                _joined.Enqueue(joined);
            }
        }

        var connects = new Task[_clients];
        for (var i = 0; i < _clients; i++)
        {
            connects[i] = ConnectOneAsync(i);
        }
        var allConnected = Task.WhenAll(connects);

        double? rampDone = null;
        using (var timer = new PeriodicTimer(tick))
        {
            while (true)
            {
                Join();
                var now = Clock.Elapsed.TotalSeconds;
                if (rampDone is null && (allConnected.IsCompleted || now > _bound))
                {
                    rampDone = now;
                }
                if (rampDone is not null && now >= rampDone + _seconds)
                {
                    break;
                }
                foreach (var connection in Active)
                {
                    onTick(connection, now);
                }
                await timer.WaitForNextTickAsync();
            }
        }
        RampDone = rampDone.Value;
        Ended = Clock.Elapsed.TotalSeconds;

        // Connects still running are bounded by their timeout; whatever joins late is counted and closed too.
        await Task.WhenAny(allConnected, Task.Delay(_connectTimeout + TimeSpan.FromSeconds(2)));
        Join();
    }

    private void Join()
    {
        while (_joined.TryDequeue(out var connection))
        {
            Active.Add(connection);
        }
    }
}
