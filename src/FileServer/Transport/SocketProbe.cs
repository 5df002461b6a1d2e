using System.Net.Sockets;
using FileServer.Platform;

namespace FileServer.Transport;

/// <summary>
/// What the kernel knows about one connected socket and the two settings of how it sends: bytes the peer has
/// acknowledged, room in the send buffer, whether the peer has closed, TCP_CORK and TCP_NODELAY. Each answer is a best effort:
/// a socket closed or reset meanwhile gives the fallback, never an exception.
/// </summary>
internal sealed class SocketProbe(Socket socket, IPlatform platform)
{
    private bool _noDelay;
    private bool _held;
    private bool _corked;

    /// <summary>Bytes the peer has acknowledged, or <paramref name="fallback"/> where the kernel cannot say.</summary>
    public long BytesAcknowledged(long fallback)
    {
        try
        {
            return platform.GetBytesAcknowledged(socket) ?? fallback;
        }
        catch (ObjectDisposedException)
        {
            // Aborted in between: the caller's own count is the answer.
            return fallback;
        }
    }

    /// <summary>Bytes the send buffer would take now without pushing back; 0 where unknown.</summary>
    public long SendSpace() => platform.GetSendSpace(socket) ?? 0;

    /// <summary>Whether the peer has closed its side (readable with nothing to read), or the socket is gone.</summary>
    public bool PeerHasClosed()
    {
        try
        {
            return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>Turns Nagle's algorithm off (TCP_NODELAY) once; a socket that refuses it still works without it.</summary>
    public void SendWithoutDelay()
    {
        if (_noDelay)
        {
            return;
        }
        _noDelay = true;
        try
        {
            socket.NoDelay = true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Reset or aborted meanwhile: there is nothing left to send at once.
        }
    }

    /// <summary>
    /// Turns TCP_CORK on for good (until the close): one segment instead of two for a connection's last response, so
    /// the peer is woken once and acknowledges once. <see cref="SetCork"/> no longer turns it off. With
    /// <paramref name="corkNow"/> false the caller holds its sends' tail itself (<c>MSG_MORE</c>), and the option is
    /// set only when a batch asks for it.
    /// </summary>
    public void HoldCork(bool corkNow = true)
    {
        if (!_held)
        {
            if (corkNow)
            {
                SetCork(true);
            }
            _held = true;
        }
    }

    /// <summary>Whether the connection's last response is held for the close (<see cref="HoldCork"/>).</summary>
    public bool IsHeld => _held;

    /// <summary>Turns TCP_CORK on or off (held: on only); a socket that refuses it still works without it.</summary>
    public void SetCork(bool enabled)
    {
        if (_held && (!enabled || _corked))
        {
            return;
        }
        try
        {
            platform.SetCork(socket, enabled);
            _corked = enabled;
        }
        catch (SocketException)
        {
            // Batching is an optimisation: a socket that refuses TCP_CORK (reset, or not TCP) still works.
        }
        catch (ObjectDisposedException)
        {
            // Aborted concurrently (shutdown deadline): nothing left to batch.
        }
    }
}
