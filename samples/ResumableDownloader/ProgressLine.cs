namespace ResumableDownloader;

/// <summary>
/// A progress bar on one line of stderr (<c>[#####.....]  48.2 %  112.0 MiB/s</c>), redrawn at most ten times a
/// second; when stderr is not a terminal, a plain line every 10 %.
/// </summary>
internal sealed class ProgressLine(long? total, TextWriter error)
{
    private const int Width = 30;
    private readonly Lock _lock = new();
    private readonly long _started = Environment.TickCount64;
    private long _bytes;
    private long _drawnAt;
    private int _tenths = -1;

    /// <summary>Sets the bytes downloaded so far.</summary>
    public void Report(long bytes)
    {
        lock (_lock)
        {
            _bytes = bytes;
            Draw(final: false);
        }
    }

    /// <summary>Adds bytes downloaded (parallel ranges).</summary>
    public void Add(long bytes)
    {
        lock (_lock)
        {
            _bytes += bytes;
            Draw(final: false);
        }
    }

    /// <summary>Draws the last state and ends the line.</summary>
    public void Done()
    {
        lock (_lock)
        {
            Draw(final: true);
            if (!Console.IsErrorRedirected)
            {
                error.WriteLine();
            }
        }
    }

    private void Draw(bool final)
    {
        var now = Environment.TickCount64;
        var fraction = total is > 0 ? Math.Min(1.0, (double)_bytes / total.Value) : 0;
        var rate = _bytes / Math.Max(0.001, (now - _started) / 1000.0) / (1 << 20);
        if (Console.IsErrorRedirected)
        {
            var tenths = (int)(fraction * 10);
            if (tenths != _tenths || final)
            {
                _tenths = tenths;
                error.WriteLine($"{fraction * 100,5:0.0} %  {_bytes} bytes  {rate:0.0} MiB/s");
            }
            return;
        }
        if (!final && now - _drawnAt < 100)
        {
            return;
        }
        _drawnAt = now;
        var filled = (int)(fraction * Width);
        error.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {fraction * 100,5:0.0} %  {rate,7:0.0} MiB/s");
    }
}
