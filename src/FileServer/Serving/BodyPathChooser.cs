using FileServer.Transport;

namespace FileServer.Serving;

/// <summary>
/// Picks how a file body is sent: zero-copy where the transport can hand files to the kernel and it is not
/// disabled, the write-then-drain copy loop otherwise (TLS, <c>--no-sendfile</c>).
/// </summary>
public sealed class BodyPathChooser
{
    private readonly bool _disableSendFile;
    private readonly ZeroCopyBodySender _zeroCopy = new();
    private readonly CopyBodySender _copy;

    /// <summary>Creates a chooser; <paramref name="disableSendFile"/> forces the copy loop everywhere.</summary>
    public BodyPathChooser(bool disableSendFile, int copyChunkSize)
    {
        _disableSendFile = disableSendFile;
        _copy = new CopyBodySender(copyChunkSize);
    }

    /// <summary>The sender for a regular file's body on <paramref name="transport"/>.</summary>
    public IBodySender Choose(ITransport transport) =>
        transport.CanSendFile && !_disableSendFile ? _zeroCopy : _copy;
}
