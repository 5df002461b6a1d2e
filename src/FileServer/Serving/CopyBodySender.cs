using System.Buffers;
using FileServer.Transport;

namespace FileServer.Serving;

/// <summary>
/// The fallback path: read a chunk, <see cref="ITransport.Write"/> it, then <see cref="ITransport.DrainAsync"/>
/// — write first, then drain, never the other way round — so memory stays within the transport's watermarks
/// plus one chunk, however slowly the peer reads.
/// </summary>
public sealed class CopyBodySender : IBodySender
{
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
    public async ValueTask SendAsync(ITransport transport, FileStream file, IReadOnlyList<BodySegment> segments, CancellationToken cancellationToken)
    {
        byte[]? buffer = null;
        var pacer = _limitRate > 0 ? new RatePacer(_limitRate, _clock) : null;
        try
        {
            foreach (var segment in segments)
            {
                if (!segment.IsFileRange)
                {
                    transport.Write(segment.Bytes.Span);
                    continue;
                }
                buffer ??= ArrayPool<byte>.Shared.Rent((int)Math.Min(_chunkSize, segments.Max(s => s.FileCount)));
                await CopyRangeAsync(transport, file, segment.FileOffset, segment.FileCount, buffer, pacer, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private async ValueTask CopyRangeAsync(ITransport transport, FileStream file, long offset, long count, byte[] buffer, RatePacer? pacer, CancellationToken cancellationToken)
    {
        var chunk = (int)Math.Min(buffer.Length, pacer?.SliceSize(_chunkSize) ?? _chunkSize);
        long done = 0;
        while (done < count)
        {
            if (pacer is not null)
            {
                await pacer.WaitAsync(done, cancellationToken).ConfigureAwait(false);
            }
            var want = (int)Math.Min(chunk, count - done);
            // Count what was really read: a short read is fine, a zero read means the file shrank.
            var read = RandomAccess.Read(file.SafeFileHandle, buffer.AsSpan(0, want), offset + done);
            if (read == 0)
            {
                throw new FileTruncatedException(done, count);
            }
            transport.Write(buffer.AsSpan(0, read));
            done += read;
            await transport.DrainAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
