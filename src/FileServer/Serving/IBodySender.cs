using FileServer.Transport;

namespace FileServer.Serving;

/// <summary>Sends a response head and then a byte range of a file as its body.</summary>
public interface IBodySender
{
    /// <summary>The path this sender takes, for logs and metrics.</summary>
    BodyPath Path { get; }

    /// <summary>
    /// Writes <paramref name="head"/>, then <paramref name="count"/> bytes of <paramref name="file"/> from
    /// <paramref name="offset"/>. Returns when everything is queued or handed to the kernel.
    /// </summary>
    /// <exception cref="FileTruncatedException">The file ended early.</exception>
    /// <exception cref="IOException">The peer went away.</exception>
    ValueTask SendAsync(ITransport transport, ReadOnlyMemory<byte> head, FileStream file, long offset, long count, CancellationToken cancellationToken);
}
