namespace LoadGen;

/// <summary>Last resort against a hang: the process exits with code 3 once the armed time has passed.</summary>
internal static class Watchdog
{
    private static Timer? s_timer;

    public static void Arm(TimeSpan limit)
    {
        s_timer?.Dispose();
        s_timer = new Timer(_ =>
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"loadgen: watchdog: still running after {limit.TotalSeconds:0}s, exiting");
            Environment.Exit(3);
        }, null, limit, Timeout.InfiniteTimeSpan);
    }
}
