using FileServer.Transport;

namespace FileServer.Serving;

/// <summary>
/// The kernel sends the file: head through the transport's queue, then <see cref="ITransport.SendFileAsync"/>,
/// with TCP_CORK around both so the head and the first body bytes share packets (nginx's <c>tcp_nopush</c>).
/// </summary>
public sealed class ZeroCopyBodySender : IBodySender
{
    /// <inheritdoc />
    public BodyPath Path => BodyPath.SendFile;

    /// <inheritdoc />
    public async ValueTask SendAsync(ITransport transport, ReadOnlyMemory<byte> head, FileStream file, long offset, long count, CancellationToken cancellationToken)
    {
        transport.SetBatching(true);
        try
        {
            transport.Write(head.Span);
            var sent = await transport.SendFileAsync(file, offset, count, cancellationToken).ConfigureAwait(false);
            if (sent < count)
            {
                throw new FileTruncatedException(sent, count);
            }
        }
        finally
        {
            transport.SetBatching(false);
        }
    }
}
