using System.Collections.Concurrent;
using System.Diagnostics;
using Mono.Unix.Native;

namespace FileServer.Tests.Support;

/// <summary>
/// The real <c>fileserver</c> command (FileServer.Cli.dll beside the tests) as a child process, for what only a
/// process of its own can show: an open-file limit set with <c>prlimit</c>, signals, its exit code. Its stderr
/// (the log) is collected line by line so a test can wait for an event instead of sleeping.
/// </summary>
public sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly SemaphoreSlim _logged = new(0);

    private CliProcess(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    public int Port => Url.Port;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Every log line so far.</summary>
    public string Log => string.Join('\n', _log);

    /// <summary>Starts <c>fileserver ROOT --port 0 ARGS</c> under <c>prlimit --nofile=SOFT:HARD</c> and waits for its URL.</summary>
    public static CliProcess StartWithOpenFileLimit(ulong soft, ulong hard, string root, params string[] args) =>
        Start(soft, hard, root, 0, args);

    /// <summary>Starts <c>fileserver ROOT --port PORT ARGS</c> (a port a server of the same test had: a restart).</summary>
    public static CliProcess StartOnPort(int port, string root, params string[] args) => Start(4096, 4096, root, port, args);

    /// <summary>Starts <c>fileserver ROOT --port 0 ARGS</c> with <paramref name="environment"/> added to (or, null, removed from) this process's.</summary>
    public static CliProcess StartWithEnvironment(IReadOnlyDictionary<string, string?> environment, string root, params string[] args) =>
        Start(4096, 4096, root, 0, args, environment);

    private static CliProcess Start(ulong soft, ulong hard, string root, int port, string[] args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "FileServer.Cli.dll");
        var info = new ProcessStartInfo("prlimit")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }
        // prlimit execs the command: the process started is the server itself.
        foreach (var argument in (string[])[$"--nofile={soft}:{hard}", "--", "dotnet", cli, root, "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. args])
        {
            info.ArgumentList.Add(argument);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("prlimit did not start");
        var urlLine = ReadUrl(process);
        var cliProcess = new CliProcess(process, urlLine);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                cliProcess._log.Enqueue(e.Data);
                cliProcess._logged.Release();
            }
        };
        process.BeginErrorReadLine();
        return cliProcess;
    }

    private static Uri ReadUrl(Process process)
    {
        var read = process.StandardOutput.ReadLineAsync();
        if (!read.Wait(TimeSpan.FromSeconds(60)) || read.Result is not { } line || !line.StartsWith("Listening on ", StringComparison.Ordinal))
        {
            process.Kill();
            throw new InvalidOperationException($"the server did not start: {process.StandardError.ReadToEnd()}");
        }
        return new Uri(line["Listening on ".Length..].Split(' ')[0]);
    }

    /// <summary>Waits until a log line contains <paramref name="text"/>; the line, or null after <paramref name="timeout"/>.</summary>
    public async Task<string?> WaitForLogAsync(string text, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            if (_log.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } line)
            {
                return line;
            }
            try
            {
                await _logged.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    /// <summary>Kills the server at once (SIGKILL), as a crash would, and waits for it to be gone.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>Sends <paramref name="signal"/> to the server.</summary>
    public void Signal(Signum signal) => _ = Syscall.kill(_process.Id, signal);

    /// <summary>Sends SIGTERM and waits for the exit; the exit code, or null if it did not exit in <paramref name="timeout"/>.</summary>
    public int? Stop(TimeSpan timeout)
    {
        _ = Syscall.kill(_process.Id, Signum.SIGTERM);
        return _process.WaitForExit(timeout) ? _process.ExitCode : null;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
        _logged.Dispose();
    }
}
