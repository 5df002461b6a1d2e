using FileServer.Transport;

namespace FileServer.Serving;

/// <summary>
/// Paces one response body to a byte rate (nginx's <c>limit_rate</c>): before each piece, wait until the bytes
/// already sent — of the whole body, all ranges of a multipart one included — fit the rate since the first byte. Pieces are kept small (an eighth of a second's worth) so the
/// flow is smooth on both body paths — zero-copy sends slices, it is not turned into copying.
/// </summary>
internal sealed class RatePacer
{
    private const long MinimumSlice = 4096;

    private readonly long _bytesPerSecond;
    private readonly TimeProvider _clock;
    private long _started = -1;
    private long _sent;

    /// <summary>Creates a pacer for <paramref name="bytesPerSecond"/> (&gt; 0).</summary>
    public RatePacer(long bytesPerSecond, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytesPerSecond, 1);
        _bytesPerSecond = bytesPerSecond;
        _clock = clock;
    }

    /// <summary>The largest piece to send at once, at most <paramref name="preferred"/>.</summary>
    public long SliceSize(long preferred) => Math.Clamp(_bytesPerSecond / 8, MinimumSlice, Math.Max(MinimumSlice, preferred));

    /// <summary>Counts <paramref name="bytes"/> of the body as sent: every piece of every range, so the whole body keeps the rate.</summary>
    public void Sent(long bytes) => _sent += bytes;

    /// <summary>
    /// Waits until sending more after the bytes counted by <see cref="Sent"/> keeps within the rate. A pause ends early
    /// when <paramref name="transport"/> is aborted (<see cref="OperationCanceledException"/>) or its peer has gone
    /// (<see cref="IOException"/>, checked every <see cref="PeerCheckInterval"/>): at a low rate a pause is long,
    /// and nothing is being sent that would notice either.
    /// </summary>
    public async ValueTask WaitAsync(ITransport transport)
    {
        if (_started < 0)
        {
            _started = _clock.GetTimestamp();
        }
        var delay = DelayBefore(_sent, _clock.GetElapsedTime(_started), _bytesPerSecond);
        while (delay > TimeSpan.Zero)
        {
            var step = delay < PeerCheckInterval ? delay : PeerCheckInterval;
            await Task.Delay(step, _clock, transport.Aborted).ConfigureAwait(false);
            delay -= step;
            if (transport.PeerHasClosed)
            {
                throw new IOException("the peer closed the connection during a rate-limit pause");
            }
        }
    }

    /// <summary>The longest a pause goes without checking that the peer is still there.</summary>
    public static readonly TimeSpan PeerCheckInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long to wait so that <paramref name="sentSoFar"/> bytes over the elapsed time stay within the rate.</summary>
    public static TimeSpan DelayBefore(long sentSoFar, TimeSpan elapsed, long bytesPerSecond)
    {
        var due = TimeSpan.FromSeconds((double)sentSoFar / bytesPerSecond);
        return due > elapsed ? due - elapsed : TimeSpan.Zero;
    }
}
