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

    /// <summary>Creates a sender reading <paramref name="chunkSize"/> bytes at a time.</summary>
    public CopyBodySender(int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        _chunkSize = chunkSize;
    }

    /// <inheritdoc />
    public BodyPath Path => BodyPath.Copy;

    /// <inheritdoc />
    public async ValueTask SendAsync(ITransport transport, FileStream file, IReadOnlyList<BodySegment> segments, CancellationToken cancellationToken)
    {
        byte[]? buffer = null;
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
                await CopyRangeAsync(transport, file, segment.FileOffset, segment.FileCount, buffer, cancellationToken).ConfigureAwait(false);
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

    private async ValueTask CopyRangeAsync(ITransport transport, FileStream file, long offset, long count, byte[] buffer, CancellationToken cancellationToken)
    {
        var chunk = Math.Min(buffer.Length, _chunkSize);
        long done = 0;
        while (done < count)
        {
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
