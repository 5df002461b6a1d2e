namespace FileServer.Hosting;

/// <summary>What a stop signal (SIGINT, SIGTERM) asks for, given the ones before it.</summary>
internal enum StopSignal
{
    /// <summary>The first: stop gracefully.</summary>
    First,

    /// <summary>The same signal delivered again moments later, as wrappers do: ignore it.</summary>
    Echo,

    /// <summary>A later one, as from an impatient second Ctrl-C: stop now.</summary>
    Repeat,
}

/// <summary>
/// Tells an impatient second stop signal from a duplicate delivery of the first. <c>timeout(1)</c> passes a signal
/// to its child and then to its whole process group, and a launcher that forwards the Ctrl-C its terminal already
/// sent to the whole foreground group does the same, so one stop request can arrive twice within microseconds; only
/// a signal that comes <see cref="EchoWindow"/> or more after the first one means "stop now". Safe to call from
/// concurrent signal handlers.
/// </summary>
internal sealed class StopSignals
{
    /// <summary>Signals this soon after the first are taken as duplicates of it.</summary>
    public static readonly TimeSpan EchoWindow = TimeSpan.FromMilliseconds(500);

    private readonly TimeProvider _clock;
    private long _first; // the first signal's timestamp; 0 until then (a monotonic timestamp is never 0)

    /// <summary>Creates the tracker; <paramref name="clock"/> times the gap between signals.</summary>
    public StopSignals(TimeProvider clock) => _clock = clock;

    /// <summary>Records a signal that has just arrived and says what it asks for.</summary>
    public StopSignal Receive()
    {
        var now = _clock.GetTimestamp();
        var first = Interlocked.CompareExchange(ref _first, now, 0);
        if (first == 0)
        {
            return StopSignal.First;
        }
        return _clock.GetElapsedTime(first, now) >= EchoWindow ? StopSignal.Repeat : StopSignal.Echo;
    }
}
