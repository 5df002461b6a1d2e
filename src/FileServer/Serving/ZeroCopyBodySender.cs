using FileServer.Transport;

namespace FileServer.Serving;

/// <summary>
/// The kernel sends the file: in-memory bytes through the transport's queue, file ranges with
/// <see cref="ITransport.SendFileAsync"/> (which keeps them in order), with TCP_CORK around the whole response
/// so heads and body bytes share packets (nginx's <c>tcp_nopush</c>).
/// </summary>
public sealed class ZeroCopyBodySender : IBodySender
{
    /// <inheritdoc />
    public BodyPath Path => BodyPath.SendFile;

    /// <inheritdoc />
    public async ValueTask SendAsync(ITransport transport, FileStream file, IReadOnlyList<BodySegment> segments, CancellationToken cancellationToken)
    {
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
                var sent = await transport.SendFileAsync(file, segment.FileOffset, segment.FileCount, cancellationToken).ConfigureAwait(false);
                if (sent < segment.FileCount)
                {
                    throw new FileTruncatedException(sent, segment.FileCount);
                }
            }
        }
        finally
        {
            transport.SetBatching(false);
        }
    }
}
