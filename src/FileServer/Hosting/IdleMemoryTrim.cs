using Microsoft.Extensions.Logging;

namespace FileServer.Hosting;

/// <summary>
/// Gives back the memory a burst left behind. The runtime keeps the heap it grew for thousands of connections after
/// they are gone (measured: 44 MiB idle, 87 MiB still 30 s after 5,000 keep-alive connections had closed), so a file
/// server looks leaky in <c>top</c> long after its busy minute. Once no connection has opened or closed for a quiet
/// period after some activity, one aggressive, compacting collection returns what is free to the system; it runs at
/// most once per quiet spell, never while traffic flows, so no request pays for it. Its timer runs from a connection's
/// arrival (<see cref="Wake"/>) until the trim that follows the last one's close: an idle server is not woken for it.
/// </summary>
internal sealed class IdleMemoryTrim : IAsyncDisposable
{
    private readonly Func<long> _activity;
    private readonly Func<long> _openConnections;
    private readonly Action _trimNative;
    private readonly ILogger _log;
    private readonly QuietSpell _spell;
    private readonly PeriodicLoop _loop;

    /// <summary>
    /// Watches <paramref name="activity"/> (a count that moves with every connection opened or closed) every
    /// <paramref name="quiet"/> once woken, and trims (the managed heap, then the native one by
    /// <paramref name="trimNative"/>) when it stood still for one period after moving; stops watching once that trim
    /// is done and none of <paramref name="openConnections"/> is left to move it.
    /// </summary>
    public IdleMemoryTrim(TimeSpan quiet, Func<long> activity, Func<long> openConnections, Action trimNative, TimeProvider clock, ILogger log)
    {
        _activity = activity;
        _openConnections = openConnections;
        _trimNative = trimNative;
        _log = log;
        _spell = new QuietSpell(activity());
        _loop = new PeriodicLoop(quiet, clock, Tick);
    }

    /// <summary>Trims done so far.</summary>
    public int Trims { get; private set; }

    /// <summary>Starts watching, if it is not already: call it when a connection arrives.</summary>
    public void Wake() => _loop.Wake();

    public ValueTask DisposeAsync() => _loop.DisposeAsync();

    // Whether to go on: while a connection is open (its requests move the count without opening one) or the count
    // has moved since the last trim.
    private bool Tick()
    {
        var activity = _activity();
        if (_spell.EndsBurst(activity))
        {
            var before = GC.GetGCMemoryInfo().TotalCommittedBytes;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            _trimNative();
            Trims++;
            ServerLog.MemoryTrimmed(_log, before >> 20, GC.GetGCMemoryInfo().TotalCommittedBytes >> 20);
        }
        return _openConnections() > 0 || !_spell.IsSettled(activity);
    }
}

/// <summary>
/// When to trim, from an activity count read once a period: the first period in which it stood still after it had
/// moved. A server that stays idle trims once, not every period; one under steady traffic never does.
/// </summary>
internal sealed class QuietSpell(long activity)
{
    private long _seen = activity;
    private long _trimmedAt = activity;

    /// <summary>Whether nothing has happened since the last trim (or since the start, before any).</summary>
    public bool IsSettled(long activity) => activity == _trimmedAt;

    /// <summary>Whether the period that ends with <paramref name="activity"/> is the first quiet one after some activity.</summary>
    public bool EndsBurst(long activity)
    {
        if (activity != _seen)
        {
            _seen = activity;
            return false;
        }
        if (activity == _trimmedAt)
        {
            return false;
        }
        _trimmedAt = activity;
        return true;
    }
}
