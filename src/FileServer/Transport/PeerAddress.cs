using System.Net;

namespace FileServer.Transport;

/// <summary>A connection's address as its family-neutral self: a dual-stack listener sees IPv4 clients as <c>::ffff:a.b.c.d</c>.</summary>
internal static class PeerAddress
{
    /// <summary><paramref name="address"/> with an IPv4-mapped IPv6 address turned back into IPv4.</summary>
    public static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>Whether <paramref name="address"/>, mapped or not, is a loopback address (127.0.0.0/8, ::1).</summary>
    public static bool IsLoopback(IPAddress address) => IPAddress.IsLoopback(Unmapped(address));
}
