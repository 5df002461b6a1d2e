using FileServer.Platform;
using FileServer.Transport;
using Microsoft.Extensions.Logging;

namespace FileServer.Serving;

/// <summary>
/// Picks how a file body is sent, once per response and before its head: zero-copy where the transport can hand
/// files to the kernel, it is not disabled, the body is not tiny and this file can have a send-file descriptor (and
/// is not on a file system the kernel already refused); the write-then-drain copy loop otherwise (TLS,
/// <c>--no-sendfile</c>, bodies of at most <see cref="SmallBodyLimit"/> bytes, refusals).
/// </summary>
internal sealed class BodyPathChooser
{
    private readonly bool _disableSendFile;
    private readonly ZeroCopyBodySender _zeroCopy;
    private readonly CopyBodySender _copy;
    private readonly ZeroCopyRefusals _refusals;

    /// <summary>
    /// Creates a chooser; <paramref name="disableSendFile"/> forces the copy loop everywhere;
    /// <paramref name="limitRate"/> paces every body on either path (bytes per second, 0: no limit); zero-copy
    /// refusals are logged to <paramref name="log"/>, once per cause; cold slices of large bodies, on either path, are
    /// read in by <paramref name="warmer"/> first.
    /// </summary>
    public BodyPathChooser(bool disableSendFile, int copyChunkSize, long limitRate, TimeProvider clock, ILogger log, ColdRangeWarmer? warmer = null)
    {
        _disableSendFile = disableSendFile;
        _copy = new CopyBodySender(copyChunkSize, limitRate, clock, warmer);
        _refusals = new ZeroCopyRefusals(log);
        _zeroCopy = new ZeroCopyBodySender(limitRate, clock, _copy, _refusals, warmer);
    }

    /// <summary>
    /// Bodies up to this size are read into the queue behind the head and leave in one send: for them a
    /// separate head write, TCP_CORK and a sendfile call cost more than copying a few pages (measured with
    /// scripts/bench.sh: 4 KiB files went faster on the copy path than zero-copy).
    /// </summary>
    public const long SmallBodyLimit = 32 * 1024;

    /// <summary>The sender for a body of <paramref name="bodyLength"/> bytes of <paramref name="file"/> on <paramref name="transport"/>.</summary>
    public IBodySender Choose(ITransport transport, OpenedFile file, long bodyLength) =>
        transport.CanSendFile && !_disableSendFile && bodyLength > SmallBodyLimit && !_refusals.IsRefused(file) && _refusals.TryOpen(file) is not null
            ? _zeroCopy
            : _copy;
}
