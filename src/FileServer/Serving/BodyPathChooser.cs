using FileServer.Transport;

namespace FileServer.Serving;

/// <summary>
/// Picks how a file body is sent: zero-copy where the transport can hand files to the kernel, it is not
/// disabled and the body is not tiny; the write-then-drain copy loop otherwise (TLS, <c>--no-sendfile</c>,
/// bodies of at most <see cref="SmallBodyLimit"/> bytes).
/// </summary>
public sealed class BodyPathChooser
{
    private readonly bool _disableSendFile;
    private readonly ZeroCopyBodySender _zeroCopy;
    private readonly CopyBodySender _copy;

    /// <summary>
    /// Creates a chooser; <paramref name="disableSendFile"/> forces the copy loop everywhere;
    /// <paramref name="limitRate"/> paces every body on either path (bytes per second, 0: no limit).
    /// </summary>
    public BodyPathChooser(bool disableSendFile, int copyChunkSize, long limitRate, TimeProvider clock)
    {
        _disableSendFile = disableSendFile;
        _zeroCopy = new ZeroCopyBodySender(limitRate, clock);
        _copy = new CopyBodySender(copyChunkSize, limitRate, clock);
    }

    /// <summary>
    /// Bodies up to this size are read into the queue behind the head and leave in one send: for them a
    /// separate head write, TCP_CORK and a sendfile call cost more than copying a few pages (measured with
    /// scripts/bench.sh: 4 KiB files went faster on the copy path than zero-copy).
    /// </summary>
    public const long SmallBodyLimit = 32 * 1024;

    /// <summary>The sender for a body of <paramref name="bodyLength"/> bytes on <paramref name="transport"/>.</summary>
    public IBodySender Choose(ITransport transport, long bodyLength) =>
        transport.CanSendFile && !_disableSendFile && bodyLength > SmallBodyLimit ? _zeroCopy : _copy;
}
