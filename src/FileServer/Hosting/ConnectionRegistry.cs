using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FileServer.Hosting;

/// <summary>
/// The connections running now, and how they end when the server stops: asked to finish, given a grace period,
/// then aborted.
/// </summary>
internal sealed class ConnectionRegistry
{
    // The running connections (a set: the values mean nothing).
    private readonly ConcurrentDictionary<Connection, byte> _running = new();
    // Set by the stop: completed once the last connection has ended.
    private TaskCompletionSource? _allEnded;

    /// <summary>How many connections are running.</summary>
    public int Count => _running.Count;

    /// <summary>The connections running now, read without a lock or a copy: one may start or end meanwhile.</summary>
    public IEnumerable<Connection> Running
    {
        get
        {
            foreach (var (connection, _) in _running)
            {
                yield return connection;
            }
        }
    }

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

    /// <summary>
    /// Tracks <paramref name="connection"/>, which reports its end with <see cref="Ended"/>; once
    /// <paramref name="stopping"/> is cancelled it is asked to stop first. Then <see cref="Run"/> starts it.
    /// </summary>
    public void Track(Connection connection, CancellationToken stopping)
    {
        _running[connection] = 0;
        // After tracking it: a stop either finds it among the running or has cancelled the token by now.
        if (stopping.IsCancellationRequested)
        {
            connection.RequestStop();
        }
    }

    /// <summary>
    /// Runs a tracked <paramref name="connection"/>: <paramref name="here"/>, until its first wait (for a request that
    /// came with the connection, often to its end), or on the thread pool.
    /// </summary>
    public static void Run(Connection connection, bool here)
    {
        if (here)
        {
            _ = connection.RunAsync();
        }
        else
        {
            // A work item of its own rather than Task.Run and a continuation: no task, delegate or closure per connection.
            ThreadPool.UnsafeQueueUserWorkItem(connection, preferLocal: false);
        }
    }

    /// <summary>Stops tracking <paramref name="connection"/>, which has ended.</summary>
    public void Ended(Connection connection)
    {
        _running.TryRemove(connection, out _);
        if (Volatile.Read(ref _allEnded) is { } all && _running.IsEmpty)
        {
            all.TrySetResult();
        }
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
        var allEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _allEnded, allEnded);
        // Checked after publishing the source: a connection that ends from here on completes it itself.
        if (_running.IsEmpty)
        {
            allEnded.TrySetResult();
        }
        var all = allEnded.Task;
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
