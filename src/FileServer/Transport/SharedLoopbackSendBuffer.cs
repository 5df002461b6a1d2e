using System.Net;
using System.Net.Sockets;

namespace FileServer.Transport;

/// <summary>
/// The send buffer of a loopback connection that starts a zero-copy body while other connections are open: a fixed
/// <see cref="DefaultSize"/> instead of the kernel's autotuning, which on loopback grows it to <c>tcp_wmem</c>'s
/// maximum (4 MiB here).
/// </summary>
/// <remarks>
/// On loopback the buffer sets how much one <c>sendfile(2)</c> call moves before the socket is full, and so how long the
/// event-loop thread that makes it keeps its other connections waiting (nginx bounds the same with
/// <c>sendfile_max_chunk</c>), and how many bytes of each download are in flight at once. Measured on 2 cores beside
/// nginx, rotated rounds with every size up at once (docs/performance.md, "The send buffer's size, and what the tail
/// costs"): eight hot downloads at once took 640–730 ms of the machine's CPU a GiB with 192–384 KiB asked, 800–870
/// with 512 KiB and nginx 870–1,140; 4 KiB requests beside four hot downloads, p99 0.84× nginx's at 192 KiB against
/// 2.19× at 512 KiB (requests 1.68× against 1.15×, downloads 1.42× against 0.98×). Not smaller: a buffer must hold
/// several of loopback's 64 KiB segments, or the receiver, holding one, waits its 40 ms delayed acknowledgement
/// before the next is sent (32 KiB asked: eight downloads at 1.6 MB/s each). A lone download keeps the autotuned
/// buffer: with nothing to interleave, a fixed one only adds wake-ups (pinned to one CPU with its client, 0.96× nginx
/// against autotuning's 0.99× at 192 KiB, and 5× the server's CPU). A connection from another machine keeps it too:
/// there the kernel sizes the buffer to the path, and a fixed one would cap a long path's throughput.
/// </remarks>
/// <param name="openConnections">The number of connections open now, this one included.</param>
/// <param name="size">The size asked for (Linux doubles it for its bookkeeping).</param>
internal sealed class SharedLoopbackSendBuffer(Func<long> openConnections, int size = SharedLoopbackSendBuffer.DefaultSize)
{
    /// <summary>The size asked for: 192 KiB, which Linux makes a 384 KiB buffer (six 64 KiB segments).</summary>
    public const int DefaultSize = 192 * 1024;

    /// <summary>Sets the fixed buffer on <paramref name="socket"/> if it is a loopback connection and not the only one open.</summary>
    /// <returns>Whether it was set.</returns>
    public bool TryApply(Socket socket)
    {
        if (openConnections() <= 1 || socket.RemoteEndPoint is not IPEndPoint peer || !PeerAddress.IsLoopback(peer.Address))
        {
            return false;
        }
        socket.SendBufferSize = size;
        return true;
    }
}
