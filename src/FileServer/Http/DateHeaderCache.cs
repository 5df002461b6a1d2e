namespace FileServer.Http;

/// <summary>
/// The <c>Date</c> field value (RFC 9110 §6.6.1) for the current second, formatted once per second rather
/// than once per response.
/// </summary>
internal sealed class DateHeaderCache
{
    private readonly TimeProvider _clock;
    private volatile CachedDate _cached = new(long.MinValue, string.Empty);

    /// <summary>Creates a cache reading time from <paramref name="clock"/>.</summary>
    public DateHeaderCache(TimeProvider clock)
    {
        _clock = clock;
    }

    /// <summary>The IMF-fixdate of now.</summary>
    public string Now
    {
        get
        {
            var now = _clock.GetUtcNow();
            var second = now.ToUnixTimeSeconds();
            var cached = _cached;
            if (cached.Second == second)
            {
                return cached.Text;
            }
            var fresh = new CachedDate(second, HttpDate.Format(now));
            _cached = fresh;
            return fresh.Text;
        }
    }

    private sealed record CachedDate(long Second, string Text);
}
