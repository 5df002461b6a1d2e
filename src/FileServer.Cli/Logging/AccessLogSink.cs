using System.Threading.Channels;
using FileServer.Hosting;
using Microsoft.Extensions.Logging;

namespace FileServer.Cli.Logging;

/// <summary>
/// The access log's own destination (<c>--access-log FILE</c>, or <c>-</c> with a chosen format): access events
/// formatted by <see cref="AccessLineWriter"/> and written off the request path. The queue is bounded: when the disk
/// (or terminal) is slower than the traffic, lines are dropped and counted rather than a download waiting, and the
/// count is logged (event 34) at most once a second. <see cref="Reopen"/> (on SIGHUP) closes and reopens the file by
/// name, so <c>logrotate</c> can rename it away.
/// </summary>
internal sealed class AccessLogSink : ILoggerProvider
{
    private const int QueueLimit = 16 * 1024;
    private const int WriteSize = 64 * 1024;
    // As nginx's access_log flush=: lines wait this long to leave together, in one write(2), instead of waking the
    // writer one by one. A line is in the file at most this long after its response.
    private static readonly TimeSpan BatchPause = TimeSpan.FromMilliseconds(20);

    private readonly string? _path;
    private readonly Stream? _stderr;
    private readonly AccessLogFormat _format;
    // Wait mode only so that TryWrite says when the queue is full (DropWrite would drop silently): nothing ever waits.
    private readonly Channel<AccessRecord> _lines = Channel.CreateBounded<AccessRecord>(new BoundedChannelOptions(QueueLimit) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Task _writer;
    private ILogger? _diagnostics;
    private long _dropped;
    private int _reopen;

    /// <summary>Writes to the file at <paramref name="path"/> (appending), or to <paramref name="stderr"/> (standard error by default) when the path is null.</summary>
    /// <exception cref="IOException">The file cannot be opened (reported at start, not at the first request).</exception>
    public AccessLogSink(string? path, AccessLogFormat format, Stream? stderr = null)
    {
        _path = path;
        _format = format;
        _stderr = path is null ? stderr ?? StandardStreams.OpenError() : null;
        var first = path is null ? null : Open(path);
        _writer = Task.Run(() => WriteAsync(first));
    }

    /// <summary>Lines dropped so far because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Where dropped-line counts and write failures are reported.</summary>
    public void ReportTo(ILogger diagnostics) => _diagnostics = diagnostics;

    /// <summary>Reopens the file before the next line (SIGHUP).</summary>
    public void Reopen() => Volatile.Write(ref _reopen, 1);

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new AccessLogger(this);

    /// <summary>Writes what is queued (bounded in time) and closes the file.</summary>
    public void Dispose()
    {
        _lines.Writer.TryComplete();
        _writer.Wait(TimeSpan.FromSeconds(2));
    }

    private void Enqueue(AccessRecord record)
    {
        // Formatted by the writer, not here: a request pays for one queue slot.
        if (!_lines.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    // Unbuffered: the lines leave in the writer's own blocks, one write(2) each.
    private static FileStream Open(string path) =>
        new(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);

    private async Task WriteAsync(FileStream? file)
    {
        long reported = 0;
        var lastReport = DateTime.MinValue;
        var output = file ?? _stderr!;
        using var lines = new AccessLineWriter(_format);
        try
        {
            while (await _lines.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                if (_path is not null && Interlocked.Exchange(ref _reopen, 0) == 1)
                {
                    await output.DisposeAsync().ConfigureAwait(false);
                    output = Open(_path);
                }
                while (_lines.Reader.TryRead(out var record))
                {
                    lines.Append(record);
                    if (lines.Written.Length >= WriteSize)
                    {
                        await output.WriteAsync(lines.Written).ConfigureAwait(false);
                        lines.Clear();
                    }
                }
                await output.WriteAsync(lines.Written).ConfigureAwait(false);
                lines.Clear();
                var dropped = Dropped;
                if (dropped != reported && DateTime.UtcNow - lastReport >= TimeSpan.FromSeconds(1) && _diagnostics is { } log)
                {
                    CliLog.AccessLinesDropped(log, dropped - reported, dropped);
                    (reported, lastReport) = (dropped, DateTime.UtcNow);
                }
                if (!_lines.Reader.Completion.IsCompleted)
                {
                    await Task.Delay(BatchPause).ConfigureAwait(false);
                }
            }
        }
        catch (IOException e)
        {
            // The disk is full or gone: the server keeps serving, without its access log.
            if (_diagnostics is { } log)
            {
                CliLog.AccessLogFailed(log, _path ?? "stderr", e.Message);
            }
            while (await _lines.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (_lines.Reader.TryRead(out _))
                {
                    Interlocked.Increment(ref _dropped);
                }
            }
        }
        finally
        {
            if (_path is not null)
            {
                await output.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                await output.FlushAsync().ConfigureAwait(false);
            }
        }
    }

    private sealed class AccessLogger(AccessLogSink sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (state is AccessRecord record)
            {
                sink.Enqueue(record);
            }
        }
    }
}
