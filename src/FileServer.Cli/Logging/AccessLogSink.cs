using System.Threading.Channels;
using FileServer.Hosting;
using Microsoft.Extensions.Logging;

namespace FileServer.Cli.Logging;

/// <summary>
/// The access log's own destination (<c>--access-log FILE</c>, or <c>-</c> with a chosen format): access events
/// formatted by <see cref="AccessLineFormat"/> and written off the request path. The queue is bounded: when the disk
/// (or terminal) is slower than the traffic, lines are dropped and counted rather than a download waiting, and the
/// count is logged (event 34) at most once a second. <see cref="Reopen"/> (on SIGHUP) closes and reopens the file by
/// name, so <c>logrotate</c> can rename it away.
/// </summary>
internal sealed class AccessLogSink : ILoggerProvider
{
    private const int QueueLimit = 16 * 1024;
    private static readonly TimeSpan FlushDelay = TimeSpan.FromMilliseconds(100);

    private readonly string? _path;
    private readonly TextWriter? _stderr;
    private readonly AccessLogFormat _format;
    // Wait mode only so that TryWrite says when the queue is full (DropWrite would drop silently): nothing ever waits.
    private readonly Channel<AccessRecord> _lines = Channel.CreateBounded<AccessRecord>(new BoundedChannelOptions(QueueLimit) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Task _writer;
    private ILogger? _diagnostics;
    private long _dropped;
    private int _reopen;

    /// <summary>Writes to the file at <paramref name="path"/> (appending), or to <paramref name="stderr"/> when the path is null.</summary>
    /// <exception cref="IOException">The file cannot be opened (reported at start, not at the first request).</exception>
    public AccessLogSink(string? path, AccessLogFormat format, TextWriter? stderr = null)
    {
        _path = path;
        _format = format;
        _stderr = path is null ? stderr ?? Console.Error : null;
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

    // True when lines are waiting; false when none came within the flush delay (only asked while some are unflushed)
    // or the queue is complete.
    private async ValueTask<bool> WaitForLinesAsync(bool unflushed)
    {
        if (!unflushed || _lines.Reader.TryPeek(out _))
        {
            return await _lines.Reader.WaitToReadAsync().ConfigureAwait(false);
        }
        using var quiet = new CancellationTokenSource(FlushDelay);
        try
        {
            return await _lines.Reader.WaitToReadAsync(quiet.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static StreamWriter Open(string path) =>
        new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 64 * 1024), bufferSize: 64 * 1024) { AutoFlush = false };

    private async Task WriteAsync(StreamWriter? file)
    {
        long reported = 0;
        var lastReport = DateTime.MinValue;
        var output = file ?? _stderr!;
        try
        {
            var unflushed = false;
            while (await WaitForLinesAsync(unflushed).ConfigureAwait(false) is var more && (more || unflushed))
            {
                if (!more)
                {
                    // Quiet for a moment: what was written reaches the file now, not at the next burst.
                    await output.FlushAsync().ConfigureAwait(false);
                    unflushed = false;
                    continue;
                }
                if (_path is not null && Interlocked.Exchange(ref _reopen, 0) == 1)
                {
                    await output.DisposeAsync().ConfigureAwait(false);
                    output = Open(_path);
                }
                while (_lines.Reader.TryRead(out var record))
                {
                    await output.WriteAsync(AccessLineFormat.Format(record, _format)).ConfigureAwait(false);
                }
                // Under load the lines leave in the writer's 64 KiB blocks, not one write(2) per burst.
                unflushed = true;
                var dropped = Dropped;
                if (dropped != reported && DateTime.UtcNow - lastReport >= TimeSpan.FromSeconds(1) && _diagnostics is { } log)
                {
                    CliLog.AccessLinesDropped(log, dropped - reported, dropped);
                    (reported, lastReport) = (dropped, DateTime.UtcNow);
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
            if (file is not null || _path is not null)
            {
                await output.DisposeAsync().ConfigureAwait(false);
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
