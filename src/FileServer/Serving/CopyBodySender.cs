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
    public async ValueTask SendAsync(ITransport transport, ReadOnlyMemory<byte> head, FileStream file, long offset, long count, CancellationToken cancellationToken)
    {
        transport.Write(head.Span);
        if (count == 0)
        {
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(_chunkSize, count));
        try
        {
            long done = 0;
            while (done < count)
            {
                var want = (int)Math.Min(buffer.Length, count - done);
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
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
