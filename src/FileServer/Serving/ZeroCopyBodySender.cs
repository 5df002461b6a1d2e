using System.Runtime.CompilerServices;
using FileServer.Platform;
using FileServer.Transport;

namespace FileServer.Serving;

/// <summary>
/// The kernel sends the file: in-memory bytes through the transport's queue, file ranges with
/// <see cref="ITransport.SendFileAsync"/> (which keeps them in order), with TCP_CORK around the whole response
/// so heads and body bytes share packets (nginx's <c>tcp_nopush</c>).
/// </summary>
public sealed class ZeroCopyBodySender : IBodySender
{
    private readonly long _limitRate;
    private readonly TimeProvider _clock;

    /// <summary>Creates the sender; <paramref name="limitRate"/> bytes per second per body, 0 for no limit.</summary>
    public ZeroCopyBodySender(long limitRate, TimeProvider clock)
    {
        _limitRate = limitRate;
        _clock = clock;
    }

    /// <inheritdoc />
    public BodyPath Path => BodyPath.SendFile;

    /// <inheritdoc />
    // Runs once per request (or per queued send): pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ITransport transport, OpenedFile file, IReadOnlyList<BodySegment> segments, CancellationToken cancellationToken)
    {
        var pacer = _limitRate > 0 ? new RatePacer(_limitRate, _clock) : null;
        long paced = 0;
        transport.SetBatching(true);
        try
        {
            foreach (var segment in segments)
            {
                if (!segment.IsFileRange)
                {
                    transport.Write(segment.Bytes.Span);
                    continue;
                }
                if (pacer is null)
                {
                    await SendRangeAsync(transport, file.ZeroCopyStream, segment.FileOffset, segment.FileCount, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                // Paced: kernel-sent slices, each once the rate allows it.
                for (long done = 0; done < segment.FileCount;)
                {
                    var slice = Math.Min(pacer.SliceSize(segment.FileCount), segment.FileCount - done);
                    await pacer.WaitAsync(paced, transport).ConfigureAwait(false);
                    await SendRangeAsync(transport, file.ZeroCopyStream, segment.FileOffset + done, slice, cancellationToken).ConfigureAwait(false);
                    done += slice;
                    paced += slice;
                }
            }
        }
        finally
        {
            transport.SetBatching(false);
        }
    }

    private static async ValueTask SendRangeAsync(ITransport transport, FileStream file, long offset, long count, CancellationToken cancellationToken)
    {
        var sent = await transport.SendFileAsync(file, offset, count, cancellationToken).ConfigureAwait(false);
        if (sent < count)
        {
            throw new FileTruncatedException(sent, count);
        }
    }
}
