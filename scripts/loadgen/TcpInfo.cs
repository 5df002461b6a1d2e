using System.Globalization;
using System.Net.Sockets;

namespace LoadGen;

/// <summary>Linux TCP state of a socket via getsockopt(TCP_INFO); -1 where that is not available.</summary>
internal static class TcpInfo
{
    public const int Established = 1;
    private const int IpProtoTcp = 6;
    private const int TcpInfoOption = 11;

    public static int State(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }
        Span<byte> info = stackalloc byte[256];
        try
        {
            return socket.GetRawSocketOption(IpProtoTcp, TcpInfoOption, info) > 0 ? info[0] : -1;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or PlatformNotSupportedException)
        {
            return -1;
        }
    }

    public static string Name(int state) => state switch
    {
        1 => "ESTABLISHED",
        2 => "SYN_SENT",
        3 => "SYN_RECV",
        4 => "FIN_WAIT1",
        5 => "FIN_WAIT2",
        6 => "TIME_WAIT",
        7 => "CLOSE",
        8 => "CLOSE_WAIT",
        9 => "LAST_ACK",
        11 => "CLOSING",
        _ => state.ToString(CultureInfo.InvariantCulture),
    };
}
