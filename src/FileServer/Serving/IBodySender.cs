using FileServer.Platform;
using FileServer.Transport;

namespace FileServer.Serving;

/// <summary>Sends a response — head, then file ranges interleaved with in-memory bytes — in order.</summary>
internal interface IBodySender
{
    /// <summary>The path this sender takes for file bytes, for logs and metrics.</summary>
    BodyPath Path { get; }

    /// <summary>
    /// Sends <paramref name="segments"/> in order, reading file ranges from <paramref name="file"/>. Returns when
    /// everything is queued or handed to the kernel, with the path the file bytes took: <see cref="Path"/>, or
    /// <see cref="BodyPath.Copy"/> where the kernel refused zero-copy and the body fell back to the copy loop.
    /// </summary>
    /// <exception cref="FileTruncatedException">The file ended before a range did.</exception>
    /// <exception cref="FileReadException">Reading the file failed on this machine (a disk error).</exception>
    /// <exception cref="IOException">The peer went away.</exception>
    ValueTask<BodyPath> SendAsync(ITransport transport, OpenedFile file, BodySegments segments, CancellationToken cancellationToken);
}
