using System.Runtime.InteropServices;
using FileServer.Cli.Logging;
using System.Net.Sockets;
using FileServer.Hosting;
using FileServer.Cli.Progress;
using FileServer.Metrics;
using FileServer.Platform;
using Microsoft.Extensions.Logging;

namespace FileServer.Cli;

/// <summary>Runs the server until SIGINT or SIGTERM, then stops it gracefully.</summary>
internal static class ServeCommand
{
    public static async Task<int> RunAsync(FileServerOptions options, LoggingChoice logging, string? readyFile, TlsChoice? tls, int? metricsPort = null, bool progress = false)
    {
        // Logs go to stderr so stdout carries only the "Listening on" lines scripts read.
        using var stderr = new StderrLoggerProvider(json: logging.Json);
        ILoggerFactory loggerFactory;
        AccessLogSink? accessSink;
        try
        {
            loggerFactory = logging.CreateFactory(stderr, out accessSink);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await StandardStreams.Error.WriteLineAsync($"fileserver: cannot open the access log '{logging.AccessLog}': {e.Message}").ConfigureAwait(false);
            return 1;
        }
        using var _ = loggerFactory;
        // After the host (declared below, so disposed first): the last responses' lines are written.
        using var accessDisposal = accessSink;
        using var sighup = accessSink is null || logging.AccessLog == "-" ? null : PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            // Reopened by name: logrotate renames the file, signals, and new lines go to a new file of the old name.
            context.Cancel = true;
            CliLog.AccessLogReopening(loggerFactory.CreateLogger("FileServer"), logging.AccessLog!);
            accessSink.Reopen();
        });

        await using var host = new FileServerHost(options, loggerFactory);
        try
        {
            host.Start();
        }
        catch (StartupException e)
        {
            await StandardStreams.Error.WriteLineAsync($"fileserver: {e.Message}").ConfigureAwait(false);
            return 1;
        }

        using var collector = metricsPort is null ? null : new MetricsCollector(ServerMetrics.MeterName);
        PrometheusEndpoint? metrics = null;
        if (metricsPort is { } port)
        {
            try
            {
                metrics = new PrometheusEndpoint(port, collector!.Render);
            }
            catch (SocketException e)
            {
                await StandardStreams.Error.WriteLineAsync($"fileserver: cannot serve metrics on 127.0.0.1:{port}: {e.Message}").ConfigureAwait(false);
                return 1;
            }
            CliLog.MetricsServed(loggerFactory.CreateLogger("FileServer"), metrics.Address);
        }
        await using var metricsDisposal = metrics;

        // Before the server says it listens, so that no request a script sends on that line waits for the collection.
        GiveBackStartUpMemory(loggerFactory.CreateLogger("FileServer"));

        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var signals = new StopSignals(TimeProvider.System);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        // One line per listener, HTTPS first: a script reading the first line or the ready file's first line
        // gets the TLS URL when there is one.
        var urls = host.BaseUrls;
        foreach (var url in urls)
        {
            await StandardStreams.Out.WriteLineAsync($"Listening on {url}").ConfigureAwait(false);
        }
        if (tls?.FingerprintLine is { } fingerprint)
        {
            await StandardStreams.Out.WriteLineAsync(fingerprint).ConfigureAwait(false);
        }
        await StandardStreams.Out.FlushAsync().ConfigureAwait(false);
        var ready = readyFile is null ? null : new ReadyFile(readyFile);
        if (ready is not null)
        {
            try
            {
                await ready.WriteAsync(urls).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await StandardStreams.Error.WriteLineAsync($"fileserver: cannot write ready file '{readyFile}': {e.Message}").ConfigureAwait(false);
                return 1;
            }
        }

        if (progress && LiveView.CanDraw)
        {
            await RunLiveViewAsync(host, stop.Task).ConfigureAwait(false);
        }
        else if (progress)
        {
            await StandardStreams.Error.WriteLineAsync("fileserver: --progress needs an interactive terminal on stdout; running without it").ConfigureAwait(false);
        }
        await stop.Task.ConfigureAwait(false);
        await host.StopAsync().ConfigureAwait(false);
        if (ready?.RemoveIfOurs() is { } reason)
        {
            // The server did stop cleanly; a stale ready file is worth a line, not a failed exit.
            await StandardStreams.Error.WriteLineAsync($"fileserver: cannot remove ready file '{readyFile}': {reason}").ConfigureAwait(false);
        }
        return 0;

        // The first signal stops gracefully; a later one, as from an impatient Ctrl-C, aborts what is still running.
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            switch (signals.Receive())
            {
                case StopSignal.First:
                    stop.TrySetResult();
                    break;
                case StopSignal.Repeat:
                    host.StopNow();
                    break;
            }
        }
    }

    // What start-up made and no longer needs (the parsed command line, the logging set-up, the JIT's scratch memory)
    // would otherwise stay committed until the first collection, which an idle server may never have: one compacting
    // collection and a trim of the native heap take 0.45 MiB off its idle RSS (docs/performance.md, "Idle memory").
    // The command line's process only: an embedding program's heap is its own business.
    private static void GiveBackStartUpMemory(ILogger log)
    {
        var before = GC.GetTotalMemory(forceFullCollection: false);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        PlatformDetector.Detect().TrimNativeHeap();
        var info = GC.GetGCMemoryInfo();
        CliLog.StartUpMemoryGivenBack(log, before >> 10, info.HeapSizeBytes >> 10, info.TotalCommittedBytes >> 10, info.PauseDurations[0].TotalMilliseconds);
    }

    // Not inlined: compiling it loads Spectre.Console, which a server without --progress never needs (0.6 MiB of RSS).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static Task RunLiveViewAsync(FileServer.Hosting.FileServerHost host, Task stopped) =>
        new LiveView(host, LiveView.Terminal()).RunAsync(stopped);
}
