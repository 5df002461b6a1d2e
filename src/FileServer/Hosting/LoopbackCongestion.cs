using System.Net;
using System.Net.Sockets;
using FileServer.Platform;
using FileServer.Transport;

namespace FileServer.Hosting;

/// <summary>
/// The TCP congestion control for connections whose client runs on this machine (a loopback address, or the
/// server's own address). BBR paces every segment to its model of the path's bandwidth and round-trip time; on
/// loopback there is no path, the microsecond round trips it measures are scheduling noise, and on a machine
/// defaulting to bbr it held a 1 GiB <c>sendfile</c> download to about 2,900 MiB/s where cubic and reno reached
/// about 6,000–8,500 (nginx's alike). Connections from elsewhere keep the system's choice: there the algorithm
/// shares a real path with other flows, and choosing it is the administrator's call.
/// </summary>
internal sealed class LoopbackCongestion
{
    /// <summary>The setting that picks cubic (or reno) where the system's default is a BBR version.</summary>
    public const string Auto = "auto";

    /// <summary>The setting that leaves every connection with the system's default.</summary>
    public const string System = "system";

    // In order of preference; reno is built into every kernel and allowed to every process. An array, not an
    // ImmutableArray: that type alone loaded System.Collections.Immutable and added about 1 MiB of idle RSS.
    private static readonly string[] LossBased = ["cubic", "reno"];

    private readonly IPlatform _platform;

    private LoopbackCongestion(IPlatform platform, string algorithm)
    {
        _platform = platform;
        Algorithm = algorithm;
    }

    /// <summary>The algorithm given to connections from this machine.</summary>
    public string Algorithm { get; }

    /// <summary>
    /// What <paramref name="setting"/> (<see cref="Auto"/>, <see cref="System"/> or an algorithm's name) comes to
    /// on this kernel, whose default is <paramref name="systemDefault"/>: null when connections keep the default.
    /// <see cref="Auto"/> acts only on a BBR default, the one measured to slow loopback down.
    /// </summary>
    /// <exception cref="StartupException">A named algorithm the kernel refuses, or no socket to try it on.</exception>
    public static LoopbackCongestion? Resolve(string setting, string? systemDefault, IPlatform platform)
    {
        ReadOnlySpan<string> wanted = setting switch
        {
            System => [],
            Auto => systemDefault?.StartsWith("bbr", StringComparison.Ordinal) == true ? LossBased : [],
            _ => [setting],
        };
        if (wanted.IsEmpty)
        {
            return null;
        }
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            foreach (var name in wanted)
            {
                if (platform.TrySetCongestionControl(probe, name))
                {
                    return new LoopbackCongestion(platform, name);
                }
            }
        }
        catch (SocketException e)
        {
            throw new StartupException($"cannot open a TCP socket to try congestion control on: {e.Message}", e);
        }
        // Auto falls back to the default; a name the user gave must not be ignored silently.
        return setting == Auto
            ? null
            : throw new StartupException(
                $"congestion control '{setting}' is not available to this process (on Linux see /proc/sys/net/ipv4/tcp_allowed_congestion_control)");
    }

    /// <summary>Gives <paramref name="connection"/> <see cref="Algorithm"/> if its client runs on this machine.</summary>
    public CongestionChoice Apply(Socket connection)
    {
        try
        {
            if (connection.RemoteEndPoint is not IPEndPoint client)
            {
                return CongestionChoice.Elsewhere;
            }
            // The local address is asked for (getsockname) only when the client's is not loopback.
            if (!PeerAddress.IsLoopback(client.Address) && !(connection.LocalEndPoint is IPEndPoint server && IsSameMachine(client.Address, server.Address)))
            {
                return CongestionChoice.Elsewhere;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Reset before we looked: the connection fails on its first read, whatever its congestion control.
            return CongestionChoice.Elsewhere;
        }
        return _platform.TrySetCongestionControl(connection, Algorithm) ? CongestionChoice.Given : CongestionChoice.Refused;
    }

    /// <summary>Whether a client at <paramref name="client"/>, connected to <paramref name="server"/>, runs on this machine.</summary>
    public static bool IsSameMachine(IPAddress client, IPAddress server) =>
        PeerAddress.IsLoopback(client) || PeerAddress.Unmapped(client).Equals(PeerAddress.Unmapped(server));
}
