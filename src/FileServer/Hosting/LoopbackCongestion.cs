using System.Net;
using System.Net.Sockets;
using FileServer.Platform;

namespace FileServer.Hosting;

/// <summary>
/// The TCP congestion control for connections whose client runs on this machine (a loopback address, or the
/// server's own address). A model-based algorithm such as BBR paces every segment to its estimate of the path's
/// bandwidth and round-trip time; on loopback there is no path, the microsecond round trips it measures are
/// scheduling noise, and on a machine defaulting to bbr it held a 1 GiB <c>sendfile</c> download to about 2,900
/// MiB/s where cubic and reno reached 6,000–8,400 (nginx's alike). Connections from elsewhere keep the system's
/// choice: there the algorithm shares a real path with other flows, and choosing it is the administrator's call.
/// </summary>
public sealed class LoopbackCongestion
{
    /// <summary>The setting that picks a loss-based algorithm only where the system's default is not one.</summary>
    public const string Auto = "auto";

    /// <summary>The setting that leaves every connection with the system's default.</summary>
    public const string System = "system";

    // Loss-based, in order of preference; reno is built into every kernel and allowed to every process.
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
    /// </summary>
    /// <exception cref="StartupException">A named algorithm the kernel refuses.</exception>
    public static LoopbackCongestion? Resolve(string setting, string? systemDefault, IPlatform platform)
    {
        if (setting == System)
        {
            return null;
        }
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (setting != Auto)
        {
            return platform.TrySetCongestionControl(probe, setting)
                ? new LoopbackCongestion(platform, setting)
                : throw new StartupException(
                    $"congestion control '{setting}' is not available to this process (see /proc/sys/net/ipv4/tcp_allowed_congestion_control)");
        }
        if (systemDefault is null || LossBased.Contains(systemDefault))
        {
            return null;
        }
        var usable = Array.Find(LossBased, name => platform.TrySetCongestionControl(probe, name));
        return usable is null ? null : new LoopbackCongestion(platform, usable);
    }

    /// <summary>Gives <paramref name="connection"/> <see cref="Algorithm"/> if its client runs on this machine.</summary>
    /// <returns>Whether it was given (false for a client elsewhere, or when the kernel refused).</returns>
    public bool Apply(Socket connection)
    {
        EndPoint? remote, local;
        try
        {
            remote = connection.RemoteEndPoint;
            local = connection.LocalEndPoint;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Reset before we looked: the connection fails on its first read, whatever its congestion control.
            return false;
        }
        return remote is IPEndPoint client && local is IPEndPoint server && IsSameMachine(client.Address, server.Address)
            && _platform.TrySetCongestionControl(connection, Algorithm);
    }

    /// <summary>Whether a client at <paramref name="client"/>, connected to <paramref name="server"/>, runs on this machine.</summary>
    public static bool IsSameMachine(IPAddress client, IPAddress server)
    {
        // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d.
        var unmapped = client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client;
        var own = server.IsIPv4MappedToIPv6 ? server.MapToIPv4() : server;
        return IPAddress.IsLoopback(unmapped) || unmapped.Equals(own);
    }
}
