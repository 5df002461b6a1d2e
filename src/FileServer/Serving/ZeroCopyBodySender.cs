using System.Runtime.CompilerServices;
using FileServer.Platform;
using FileServer.Transport;

namespace FileServer.Serving;

/// <summary>
/// The kernel sends the file: in-memory bytes through the transport's queue, file ranges with
/// <see cref="ITransport.SendFileAsync"/> (which keeps them in order), with TCP_CORK around the whole response
/// so heads and body bytes share packets (nginx's <c>tcp_nopush</c>). Where the kernel refuses a range (a file
/// system that cannot splice), the rest of the body goes through the copy loop, from the first byte not sent — as
/// aiohttp falls back from <c>loop.sendfile</c> — and the refusal is recorded so later bodies start there.
/// </summary>
internal sealed class ZeroCopyBodySender : IBodySender
{
    private readonly long _limitRate;
    private readonly TimeProvider _clock;
    private readonly CopyBodySender _fallback;
    private readonly ZeroCopyRefusals _refusals;
    private readonly ColdRangeWarmer? _warmer;

    // Four of the warmer's slices at a time (and the transport's send-file slice as large): a slice that fills the
    // socket is finished by the socket engine thread and the next one started by a pool thread, so each slice costs
    // two threads' wake-ups where nginx's event loop has one. With 8 MiB instead of 2, one hot download pinned to a
    // CPU with its client rose from 0.945-0.954x to 0.966-0.991x nginx's and the server's CPU a GiB fell from 1.63x to
    // 1.25-1.33x nginx's (two series of 12 rotated rounds). The trade: more of each download's copying falls to the
    // engine threads that answer small requests, so beside cold downloads those get less of the machine (full runs
    // t, u and v: 1.04-1.35x nginx's rate, their p99 1.16-1.47x, against 1.59x and 1.84x, p99 1.11-1.14x with 2 MiB)
    // and the downloads more (0.96-1.05x against 0.84-0.95x; docs/performance.md, "One stream against nginx").
    private const int Slice = 4 * ColdRangeWarmer.Slice;

    /// <summary>
    /// Creates the sender; <paramref name="limitRate"/> bytes per second per body, 0 for no limit; refused bodies go
    /// on through <paramref name="fallback"/>, recorded in <paramref name="refusals"/>; with a
    /// <paramref name="warmer"/>, each slice not in the page cache is read in by it before the kernel sends it.
    /// </summary>
    public ZeroCopyBodySender(long limitRate, TimeProvider clock, CopyBodySender fallback, ZeroCopyRefusals refusals, ColdRangeWarmer? warmer = null)
    {
        _limitRate = limitRate;
        _clock = clock;
        _fallback = fallback;
        _refusals = refusals;
        _warmer = warmer;
    }

    /// <inheritdoc />
    public BodyPath Path => BodyPath.SendFile;

    /// <inheritdoc />
    // Runs once per request (or per queued send): pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<BodyPath> SendAsync(ITransport transport, OpenedFile file, BodySegments segments, CancellationToken cancellationToken)
    {
        var pacer = _limitRate > 0 ? new RatePacer(_limitRate, _clock) : null;
        transport.SetBatching(true);
        try
        {
            for (var i = 0; i < segments.Count; i++)
            {
                var segment = segments[i];
                if (!segment.IsFileRange)
                {
                    transport.Write(segment.Bytes.Span);
                    continue;
                }
                var sent = await SendRangeAsync(transport, file, segment, pacer, cancellationToken).ConfigureAwait(false);
                if (sent < segment.FileCount)
                {
                    // Refused: this range's remainder and everything after it, copied.
                    transport.SetBatching(false);
                    var rest = new List<BodySegment>(segments.Count - i) { BodySegment.FromFile(segment.FileOffset + sent, segment.FileCount - sent) };
                    for (var j = i + 1; j < segments.Count; j++)
                    {
                        rest.Add(segments[j]);
                    }
                    return await _fallback.SendAsync(transport, file, BodySegments.Of(rest), pacer, cancellationToken).ConfigureAwait(false);
                }
            }
            return BodyPath.SendFile;
        }
        finally
        {
            transport.SetBatching(false);
        }
    }

    // The bytes of the range that left: all of them, or fewer when the kernel refused the rest (recorded).
    private async ValueTask<long> SendRangeAsync(ITransport transport, OpenedFile file, BodySegment range, RatePacer? pacer, CancellationToken cancellationToken)
    {
        // Paced: kernel-sent slices, each once the rate allows it.
        var slice = pacer?.SliceSize(range.FileCount) ?? range.FileCount;
        if (_warmer is not null)
        {
            // A slice at a time, each looked at (and read in when cold) before the kernel sends it.
            slice = Math.Min(slice, Slice);
        }
        long done = 0;
        while (done < range.FileCount)
        {
            var count = Math.Min(slice, range.FileCount - done);
            if (pacer is not null)
            {
                await pacer.WaitAsync(transport).ConfigureAwait(false);
            }
            if (_warmer is not null)
            {
                await _warmer.EnsureCachedAsync(file.Handle, range.FileOffset + done, count).ConfigureAwait(false);
                // The next slice is asked of the disk while this one is sent: disk and socket work at once, as with
                // nginx's aio threads and read-ahead, instead of in turn; usually it is in by its turn, and no thread
                // has copied it.
                var next = done + count;
                if (next < range.FileCount)
                {
                    _warmer.Prefetch(file.Handle, range.FileOffset + next, Math.Min(slice, range.FileCount - next));
                }
            }
            long sent;
            try
            {
                sent = await transport.SendFileAsync(file.ZeroCopyStream, range.FileOffset + done, count, cancellationToken).ConfigureAwait(false);
            }
            catch (SendFileRefusedException refusal)
            {
                if (RandomAccess.GetLength(file.Handle) < range.FileOffset + range.FileCount)
                {
                    // Not a refusal: the file shrank under the range (.NET answers EINVAL for a range past the end).
                    throw new FileTruncatedException(done + refusal.Sent, range.FileCount);
                }
                _refusals.Refused(file, refusal);
                pacer?.Sent(refusal.Sent);
                return done + refusal.Sent;
            }
            pacer?.Sent(sent);
            if (sent < count)
            {
                throw new FileTruncatedException(done + sent, range.FileCount);
            }
            done += sent;
        }
        return done;
    }
}
