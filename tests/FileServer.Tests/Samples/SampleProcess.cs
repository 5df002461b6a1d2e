using System.Collections.Concurrent;
using System.Diagnostics;
using Mono.Unix.Native;

namespace FileServer.Tests.Samples;

/// <summary>A sample program (its dll beside the tests) run with <c>dotnet</c>, its output read line by line.</summary>
internal sealed class SampleProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly ConcurrentQueue<string> _all = new();

    private SampleProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Receive(e.Data);
        process.ErrorDataReceived += (_, e) => Receive(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Everything it wrote so far, stdout and stderr.</summary>
    public string Output => string.Join('\n', _all);

    /// <summary>Starts <c>dotnet NAME.dll ARGS</c>.</summary>
    public static SampleProcess Start(string name, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, name + ".dll"));
        foreach (var argument in args)
        {
            info.ArgumentList.Add(argument);
        }
        return new SampleProcess(Process.Start(info) ?? throw new InvalidOperationException($"{name} did not start"));
    }

    /// <summary>The first line (stdout or stderr) that starts with <paramref name="prefix"/>; null if none came in <paramref name="timeout"/>.</summary>
    public string? WaitForLine(string prefix, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            foreach (var line in _lines.GetConsumingEnumerable(deadline.Token))
            {
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        return null;
    }

    /// <summary>Sends <paramref name="signal"/>, then waits for the exit: its code, or null after <paramref name="timeout"/>.</summary>
    public int? Stop(Signum signal, TimeSpan timeout)
    {
        _ = Syscall.kill(_process.Id, signal);
        return WaitForExit(timeout);
    }

    /// <summary>The exit code, or null if it did not exit in <paramref name="timeout"/>.</summary>
    public int? WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return null;
        }
        _process.WaitForExit(); // the output read to its end
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
        _lines.Dispose();
    }

    private void Receive(string? line)
    {
        if (line is null)
        {
            return;
        }
        _all.Enqueue(line);
        if (!_lines.IsAddingCompleted)
        {
            _lines.Add(line);
        }
    }
}
