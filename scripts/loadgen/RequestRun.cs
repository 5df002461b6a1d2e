using System.Diagnostics;

namespace LoadGen;

/// <summary>
/// A bounded run of numbered requests shared by a pool of workers: each takes the next number until the count is
/// reached or the time limit passes, and the watchdog ends the process if the run overstays its bounds.
/// </summary>
internal sealed class RequestRun : IDisposable
{
    private readonly int _count;
    private int _next = -1;

    /// <summary>A run of <paramref name="count"/> requests within <paramref name="timeLimitSeconds"/>, each bounded by <paramref name="timeout"/>.</summary>
    public RequestRun(int count, double timeLimitSeconds, TimeSpan timeout)
    {
        _count = count;
        Watchdog.Arm(TimeSpan.FromSeconds(timeLimitSeconds) + timeout + TimeSpan.FromSeconds(30));
        Deadline = new CancellationTokenSource(TimeSpan.FromSeconds(timeLimitSeconds));
    }

    /// <summary>Cancelled when the time limit passes.</summary>
    public CancellationTokenSource Deadline { get; }

    /// <summary>Time since the run was made.</summary>
    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    /// <summary>The next request's number, or false when the run is over.</summary>
    public bool TryTake(out int index)
    {
        index = Interlocked.Increment(ref _next);
        return !Deadline.IsCancellationRequested && index < _count;
    }

    /// <summary>Runs <paramref name="workers"/> copies of <paramref name="worker"/> on the thread pool and waits for them.</summary>
    public static Task RunAsync(int workers, Func<Task> worker) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(worker)));

    /// <inheritdoc />
    public void Dispose() => Deadline.Dispose();
}
