using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FileServer.Hosting;

/// <summary>
/// The connections running now, and how they end when the server stops: asked to finish, given a grace period,
/// then aborted.
/// </summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<Connection, Task> _running = new();

    /// <summary>How many connections are running.</summary>
    public int Count => _running.Count;

    /// <summary>The bodies being sent now, one per connection that is sending.</summary>
    public List<TransferView> Transfers()
    {
        var views = new List<TransferView>();
        foreach (var connection in _running.Keys)
        {
            if (connection.Transfer() is { } view)
            {
                views.Add(view);
            }
        }
        return views;
    }

    /// <summary>Tracks <paramref name="connection"/> while <paramref name="run"/> runs; <paramref name="ended"/> runs after it.</summary>
    public void Track(Connection connection, Task run, Action ended)
    {
        _running[connection] = run;
        run.ContinueWith(_ =>
        {
            _running.TryRemove(connection, out Task? _);
            ended();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// Asks every connection to finish (idle ones close at once), waits up to <paramref name="grace"/> or until
    /// <paramref name="graceOver"/>, then aborts the ones still running and waits for them to end.
    /// </summary>
    public async Task StopAsync(TimeSpan grace, TimeProvider clock, ILogger log, ServerMetrics metrics, CancellationToken graceOver)
    {
        ServerLog.Stopping(log, _running.Count, grace);
        foreach (var connection in _running.Keys)
        {
            connection.RequestStop();
        }
        var all = Task.WhenAll(_running.Values);
        // Its own source, so the grace period's timer ends with the stop instead of running out its whole length.
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(graceOver);
        var finished = await Task.WhenAny(all, Task.Delay(grace, clock, waiting.Token)).ConfigureAwait(false);
        await waiting.CancelAsync().ConfigureAwait(false);
        if (finished == all)
        {
            return;
        }
        if (finished.IsCanceled)
        {
            ServerLog.AbortingAtOnce(log, _running.Count);
        }
        else
        {
            ServerLog.AbortingOnShutdown(log, _running.Count);
        }
        foreach (var connection in _running.Keys)
        {
            metrics.Aborted(AbortCause.Shutdown);
            connection.Abort();
        }
        await all.ConfigureAwait(false);
    }
}
