using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Logging;

namespace FileServer.Cli.Logging;

/// <summary>
/// Writes every log event as one line to standard error, from a background thread so request threads never
/// wait on the terminal: <c>2026-11-25T17:32:36.654Z info: FileServer.Access[2] message</c>, the layout of the
/// console logger's single-line format. Ours because that logger brings configuration binding, JSON and
/// dependency injection with it: about 2.4 MiB of resident memory for a process that idles at under 40.
/// </summary>
internal sealed class StderrLoggerProvider : ILoggerProvider
{
    // As the console logger: past this many waiting lines, a logging thread waits rather than memory growing.
    private const int QueueLimit = 4096;
    private static readonly TimeSpan DrainOnDispose = TimeSpan.FromSeconds(2);

    private readonly BlockingCollection<string> _lines = new(QueueLimit);
    private readonly TextWriter _output;
    private readonly bool _json;
    private readonly Thread _writer;
    private int _disposed;

    /// <summary>Starts the writer thread; <paramref name="output"/> defaults to standard error; <paramref name="json"/> writes <see cref="JsonLogLine"/>s.</summary>
    public StderrLoggerProvider(TextWriter? output = null, bool json = false)
    {
        _output = output ?? StandardStreams.Error;
        _json = json;
        _writer = new Thread(WriteLines) { IsBackground = true, Name = "stderr logger" };
        _writer.Start();
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new LineLogger(categoryName, this);

    /// <summary>Writes what is queued (bounded in time), then stops the writer.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _lines.CompleteAdding();
        // The collection is left to the collector rather than disposed: a writer still busy with a slow stderr
        // past the wait must not meet a disposed collection (an exception on that thread would end the process).
        _writer.Join(DrainOnDispose);
    }

    private void Enqueue(string line)
    {
        try
        {
            _lines.Add(line);
        }
        catch (InvalidOperationException)
        {
            // Logged after Dispose (a connection ending during shutdown): the line has nowhere to go.
        }
    }

    private void WriteLines()
    {
        var broken = false;
        foreach (var line in _lines.GetConsumingEnumerable())
        {
            if (broken)
            {
                // stderr is gone: keep taking lines so loggers never block on a full queue.
                continue;
            }
            try
            {
                _output.Write(line);
                if (_lines.Count == 0)
                {
                    _output.Flush();
                }
            }
            catch (IOException)
            {
                // A closed pipe: there is nowhere left to write logs, and the server keeps serving.
                broken = true;
            }
        }
        if (!broken)
        {
            try
            {
                _output.Flush();
            }
            catch (IOException)
            {
                // As above: nothing to flush to.
            }
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    private sealed class LineLogger(string category, StderrLoggerProvider sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // Levels and categories are filtered by the LoggerFactory's rules before a call gets here.
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }
            if (sink._json)
            {
                sink.Enqueue(FormatJson(logLevel, eventId, state, formatter(state, exception), exception));
                return;
            }
            var line = new StringBuilder(160)
                .Append(DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ ", CultureInfo.InvariantCulture))
                .Append(LevelName(logLevel)).Append(": ")
                .Append(category).Append('[').Append(eventId.Id.ToString(CultureInfo.InvariantCulture)).Append("] ")
                .Append(formatter(state, exception).ReplaceLineEndings(" "));
            if (exception is not null)
            {
                line.Append(Environment.NewLine).Append(exception);
            }
            sink.Enqueue(line.Append(Environment.NewLine).ToString());
        }

        // Apart and never inlined, so that compiling Log does not load System.Text.Json for the text layout
        // (idle RSS).
        [MethodImpl(MethodImplOptions.NoInlining)]
        private string FormatJson<TState>(LogLevel level, EventId eventId, TState state, string message, Exception? exception) =>
            JsonLogLine.Format(DateTimeOffset.UtcNow, category, level, eventId, state, message, exception);
    }
}
