using FileServer.Transport;

namespace FileServer.Serving;

/// <summary>
/// Picks how a file body is sent: zero-copy where the transport can hand files to the kernel and it is not
/// disabled, the write-then-drain copy loop otherwise (TLS, <c>--no-sendfile</c>).
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

    /// <summary>The sender for a regular file's body on <paramref name="transport"/>.</summary>
    public IBodySender Choose(ITransport transport) =>
        transport.CanSendFile && !_disableSendFile ? _zeroCopy : _copy;
}
