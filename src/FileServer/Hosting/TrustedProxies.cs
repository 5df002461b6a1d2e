using System.Net;
using FileServer.Http;

namespace FileServer.Hosting;

/// <summary>
/// <c>--trusted-proxy</c>: the balancers and CDNs whose word on the client is taken. A request that comes from one of
/// them names its client in <c>Forwarded</c> (RFC 7239, first) or <c>X-Forwarded-For</c>; the list is read from the
/// right (the hop nearest to us), skipping the trusted proxies, as nginx's <c>real_ip_recursive on</c> does: the first
/// address that is not one of ours is the client. Anyone else's such fields are ignored, since any client can send
/// them.
/// </summary>
internal sealed class TrustedProxies(IReadOnlyList<IPNetwork> networks)
{
    /// <summary>The proxies to read a connection's requests with: null unless <paramref name="peer"/> is one of them.</summary>
    public static TrustedProxies? ForPeer(IReadOnlyList<IPNetwork> networks, EndPoint? peer)
    {
        if (networks.Count == 0 || peer is not IPEndPoint { Address: var address })
        {
            return null;
        }
        var proxies = new TrustedProxies(networks);
        return proxies.Trusts(address) ? proxies : null;
    }

    /// <summary>Whether <paramref name="address"/> is a trusted proxy.</summary>
    public bool Trusts(IPAddress address)
    {
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (var network in networks)
        {
            if (network.Contains(plain))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The client named by a request whose peer is trusted; null when the request names none (or nothing readable),
    /// in which case the peer is the client.
    /// </summary>
    public string? ClientOf(RequestHeaders headers)
    {
        var chain = FromForwarded(headers.GetCombined("Forwarded")) ?? FromXForwardedFor(headers.GetCombined("X-Forwarded-For"));
        if (chain is null || chain.Count == 0)
        {
            return null;
        }
        for (var i = chain.Count - 1; i > 0; i--)
        {
            if (!Trusts(chain[i]))
            {
                return chain[i].ToString();
            }
        }
        // Every hop but the first is ours: the first is the client.
        return chain[0].ToString();
    }

    // "for=192.0.2.60;proto=http, for=\"[2001:db8:cafe::17]:4711\"": the for= of each element, in order. Null when a
    // for= is not an address (unknown, an obfuscated _name), which makes the chain unusable.
    private static List<IPAddress>? FromForwarded(string? field)
    {
        if (field is null)
        {
            return null;
        }
        var chain = new List<IPAddress>();
        foreach (var element in field.Split(','))
        {
            foreach (var pair in element.Split(';'))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals < 0 || !pair.AsSpan(0, equals).Trim().Equals("for", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                var value = pair[(equals + 1)..].Trim().Trim('"');
                if (ParseNode(value) is not { } address)
                {
                    return null;
                }
                chain.Add(address);
            }
        }
        return chain;
    }

    // "203.0.113.7, 10.0.0.2": addresses, perhaps with a port ("203.0.113.7:5000", "[::1]:5000").
    private static List<IPAddress>? FromXForwardedFor(string? field)
    {
        if (field is null)
        {
            return null;
        }
        var chain = new List<IPAddress>();
        foreach (var item in field.Split(','))
        {
            if (ParseNode(item.Trim()) is not { } address)
            {
                return null;
            }
            chain.Add(address);
        }
        return chain;
    }

    // An address, bracketed IPv6 with or without a port, or IPv4 with or without one.
    private static IPAddress? ParseNode(string node)
    {
        if (node.StartsWith('['))
        {
            var end = node.IndexOf(']', StringComparison.Ordinal);
            return end > 0 && IPAddress.TryParse(node.AsSpan(1, end - 1), out var v6) ? v6 : null;
        }
        if (IPAddress.TryParse(node, out var address))
        {
            return address;
        }
        var colon = node.LastIndexOf(':');
        return colon > 0 && node.IndexOf(':', StringComparison.Ordinal) == colon && IPAddress.TryParse(node.AsSpan(0, colon), out var v4) ? v4 : null;
    }
}
