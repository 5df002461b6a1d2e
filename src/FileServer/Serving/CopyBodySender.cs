using System.Runtime.CompilerServices;
using FileServer.Platform;
using FileServer.Transport;

namespace FileServer.Serving;

/// <summary>
/// The fallback path: read a chunk into the transport's queue, commit it, then <see cref="ITransport.DrainAsync"/>
/// — write first, then drain, never the other way round. Chunks are sized by <see cref="ITransport.WriteBudget"/>,
/// so a connection's queue never holds more than the high watermark, however slowly the peer reads.
/// </summary>
public sealed class CopyBodySender : IBodySender
{
    private const int MinimumRead = 4096;

    private readonly int _chunkSize;
    private readonly long _limitRate;
    private readonly TimeProvider _clock;

    /// <summary>
    /// Creates a sender reading <paramref name="chunkSize"/> bytes at a time, pacing each body to
    /// <paramref name="limitRate"/> bytes per second (0: no limit).
    /// </summary>
    public CopyBodySender(int chunkSize, long limitRate, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        _chunkSize = chunkSize;
        _limitRate = limitRate;
        _clock = clock;
    }

    /// <inheritdoc />
    public BodyPath Path => BodyPath.Copy;

    /// <inheritdoc />
    // Runs once per request (or per queued send): pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ITransport transport, OpenedFile file, IReadOnlyList<BodySegment> segments, CancellationToken cancellationToken)
    {
        var pacer = _limitRate > 0 ? new RatePacer(_limitRate, _clock) : null;
        for (var i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            if (segment.IsFileRange)
            {
                await CopyRangeAsync(transport, file, segment.FileOffset, segment.FileCount, pacer, cancellationToken).ConfigureAwait(false);
            }
            else if (i + 1 < segments.Count && pacer is null)
            {
                // File bytes follow: let this head (or part header) leave in the same send as they do.
                transport.Append(segment.Bytes.Span);
            }
            else
            {
                transport.Write(segment.Bytes.Span);
            }
        }
    }

    // Runs once per request (or per queued send): pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CopyRangeAsync(ITransport transport, OpenedFile file, long offset, long count, RatePacer? pacer, CancellationToken cancellationToken)
    {
        var chunk = (int)(pacer?.SliceSize(_chunkSize) ?? _chunkSize);
        long done = 0;
        while (done < count)
        {
            if (pacer is not null)
            {
                await pacer.WaitAsync(done, cancellationToken).ConfigureAwait(false);
            }
            // Read straight into the transport's queue (no extra buffer, no copy), never past the high watermark:
            // with a slow peer the queue then holds at most the watermark, not the watermark plus a chunk.
            var want = (int)Math.Min(Math.Min(chunk, count - done), Math.Max(MinimumRead, transport.WriteBudget));
            var buffer = transport.GetWriteBuffer(want);
            // Count what was really read: a short read is fine, a zero read means the file shrank.
            var read = RandomAccess.Read(file.Handle, buffer.Span[..want], offset + done);
            if (read == 0)
            {
                throw new FileTruncatedException(done, count);
            }
            transport.CommitWrite(read);
            done += read;
            await transport.DrainAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
