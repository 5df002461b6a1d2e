using System.Net.Sockets;
using System.Text;

namespace FileServer.Platform;

/// <summary>
/// The Linux TCP socket options and queries the server uses: TCP_CORK, TCP_DEFER_ACCEPT, TCP_CONGESTION, tcp_info's acknowledged
/// bytes, and the free room of the send buffer (SIOCOUTQ against SO_SNDBUF).
/// </summary>
internal static class LinuxSocketOptions
{
    private const int IpProtoTcp = 6;
    private const int TcpCork = 3;
    private const int SolSocket = 1;
    private const int SoSndBuf = 7;
    private const int TcpDeferAccept = 9;
    private const int FDupFdCloseOnExec = 1030;
    private const int TcpInfo = 11;
    private const int TcpCongestion = 13;
    private const int TcpCongestionNameMax = 15; // TCP_CA_NAME_MAX (16) less the NUL the kernel adds
    private const string DefaultCongestionControlPath = "/proc/sys/net/ipv4/tcp_congestion_control";
    private const int TcpInfoSize = 232;
    private const int TcpInfoBytesAckedOffset = 120;
    private const nuint SiocOutQ = 0x5411; // SIOCOUTQ (= TIOCOUTQ on x86-64 and arm64): bytes in the send queue

    /// <summary>See <see cref="IPlatform.SetCork"/>.</summary>
    public static void SetCork(Socket socket, bool corked)
    {
        Span<byte> value = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(value, corked ? 1 : 0);
        socket.SetRawSocketOption(IpProtoTcp, TcpCork, value);
    }

    /// <summary>See <see cref="IPlatform.DeferAccept"/>.</summary>
    public static void DeferAccept(Socket listener, TimeSpan wait)
    {
        // Whole seconds, at least one: the kernel turns them into SYN-ACK retransmissions, after which a connection
        // that has sent nothing is handed over anyway.
        Span<byte> value = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(value, (int)Math.Clamp(Math.Ceiling(wait.TotalSeconds), 1, int.MaxValue));
        listener.SetRawSocketOption(IpProtoTcp, TcpDeferAccept, value);
    }

    /// <summary>See <see cref="IPlatform.ShareListener"/>.</summary>
    public static Socket? ShareListener(Socket listener)
    {
        // F_DUPFD_CLOEXEC, as every descriptor .NET makes: a child process must not inherit the listening socket.
        var copy = LibC.fcntl(listener.SafeHandle, FDupFdCloseOnExec, 0);
        if (copy < 0)
        {
            // Out of descriptors at start: the engines share fewer sockets, and the server still listens.
            return null;
        }
        return new Socket(new SafeSocketHandle(copy, ownsHandle: true));
    }

    /// <summary>See <see cref="IPlatform.DefaultCongestionControl"/>.</summary>
    public static string? DefaultCongestionControl()
    {
        try
        {
            var name = File.ReadAllText(DefaultCongestionControlPath).Trim();
            return name.Length > 0 ? name : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>See <see cref="IPlatform.TrySetCongestionControl"/>.</summary>
    public static bool TrySetCongestionControl(Socket socket, string name)
    {
        Span<byte> value = stackalloc byte[TcpCongestionNameMax];
        if (name.Length is 0 or > TcpCongestionNameMax || !Ascii.IsValid(name))
        {
            return false;
        }
        var length = Encoding.ASCII.GetBytes(name, value);
        try
        {
            socket.SetRawSocketOption(IpProtoTcp, TcpCongestion, value[..length]);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // ENOENT (not built), EPERM (not in net.ipv4.tcp_allowed_congestion_control) or a closed socket: the
            // connection keeps the congestion control it has, which is what false tells the caller.
            return false;
        }
    }

    /// <summary>See <see cref="IPlatform.GetBytesAcknowledged"/>.</summary>
    public static long? GetBytesAcknowledged(Socket socket)
    {
        // struct tcp_info (linux/tcp.h): tcpi_bytes_acked is the u64 at offset 120, present since Linux 4.1.
        Span<byte> info = stackalloc byte[TcpInfoSize];
        try
        {
            var length = socket.GetRawSocketOption(IpProtoTcp, TcpInfo, info);
            return length >= TcpInfoBytesAckedOffset + sizeof(long)
                ? BitConverter.ToInt64(info.Slice(TcpInfoBytesAckedOffset, sizeof(long)))
                : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>See <see cref="IPlatform.GetSendSpace"/>.</summary>
    public static long? GetSendSpace(Socket socket)
    {
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            // Held so the descriptor cannot be closed and reused by another connection while we ask about it.
            handle.DangerousAddRef(ref added);
            if (LibC.ioctl((int)handle.DangerousGetHandle(), SiocOutQ, out var queued) != 0)
            {
                return null;
            }
            // Not Socket.SendBufferSize: its getter boxes the value, and this runs once per copy-path chunk.
            Span<byte> sendBuffer = stackalloc byte[sizeof(int)];
            if (socket.GetRawSocketOption(SolSocket, SoSndBuf, sendBuffer) != sizeof(int))
            {
                return null;
            }
            return Math.Max(0L, BitConverter.ToInt32(sendBuffer) / 2 - (long)queued);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }
}
