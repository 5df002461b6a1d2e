namespace FileServer.Hosting;

/// <summary>
/// Runs an action once a period on the given clock until disposed; disposing stops the timer and waits for the tick
/// in progress. The server's background checks (send timeouts, the memory trim) each own one.
/// </summary>
internal sealed class PeriodicLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts calling <paramref name="tick"/> every <paramref name="period"/> of <paramref name="clock"/>.</summary>
    public PeriodicLoop(TimeSpan period, TimeProvider clock, Action tick) => _loop = RunAsync(period, clock, tick);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loop ends by cancellation: that is how it stops.
        }
        _stop.Dispose();
    }

    private async Task RunAsync(TimeSpan period, TimeProvider clock, Action tick)
    {
        using var timer = new PeriodicTimer(period, clock);
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            tick();
        }
    }
}
