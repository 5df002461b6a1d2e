namespace FileServer.Serving;

/// <summary>
/// Paces one response body to a byte rate (nginx's <c>limit_rate</c>): before each piece, wait until the bytes
/// already sent fit the rate since the first byte. Pieces are kept small (an eighth of a second's worth) so the
/// flow is smooth on both body paths — zero-copy sends slices, it is not turned into copying.
/// </summary>
public sealed class RatePacer
{
    private const long MinimumSlice = 4096;

    private readonly long _bytesPerSecond;
    private readonly TimeProvider _clock;
    private long _started = -1;

    /// <summary>Creates a pacer for <paramref name="bytesPerSecond"/> (&gt; 0).</summary>
    public RatePacer(long bytesPerSecond, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytesPerSecond, 1);
        _bytesPerSecond = bytesPerSecond;
        _clock = clock;
    }

    /// <summary>The largest piece to send at once, at most <paramref name="preferred"/>.</summary>
    public long SliceSize(long preferred) => Math.Clamp(_bytesPerSecond / 8, MinimumSlice, Math.Max(MinimumSlice, preferred));

    /// <summary>Waits until sending more after <paramref name="sentSoFar"/> bytes keeps within the rate.</summary>
    public async ValueTask WaitAsync(long sentSoFar, CancellationToken cancellationToken)
    {
        if (_started < 0)
        {
            _started = _clock.GetTimestamp();
        }
        var delay = DelayBefore(sentSoFar, _clock.GetElapsedTime(_started), _bytesPerSecond);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, _clock, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>How long to wait so that <paramref name="sentSoFar"/> bytes over the elapsed time stay within the rate.</summary>
    public static TimeSpan DelayBefore(long sentSoFar, TimeSpan elapsed, long bytesPerSecond)
    {
        var due = TimeSpan.FromSeconds((double)sentSoFar / bytesPerSecond);
        return due > elapsed ? due - elapsed : TimeSpan.Zero;
    }
}
