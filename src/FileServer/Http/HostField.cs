namespace FileServer.Http;

/// <summary>
/// The grammar of a Host field value and of a request-target's authority (RFC 9110 §7.2, RFC 3986 §3.2.2–§3.2.3):
/// <c>uri-host [ ":" port ]</c>, where uri-host is an IP-literal in brackets or a reg-name (an IPv4 address is one)
/// of unreserved, pct-encoded and sub-delims characters, and port is digits. RFC 9112 §3.2: a server MUST answer
/// 400 to a request whose Host field value is invalid.
/// </summary>
internal static class HostField
{
    /// <summary>Whether <paramref name="value"/> is a valid Host field value; the empty value is one (RFC 9112 §3.2).</summary>
    public static bool IsValid(ReadOnlySpan<char> value)
    {
        ReadOnlySpan<char> port;
        if (value.StartsWith('['))
        {
            var close = value.IndexOf(']');
            if (close < 2 || !IsIpLiteral(value[1..close]))
            {
                return false;
            }
            var rest = value[(close + 1)..];
            if (rest.IsEmpty)
            {
                return true;
            }
            if (rest[0] != ':')
            {
                return false;
            }
            port = rest[1..];
        }
        else
        {
            // A reg-name holds no ':', so the first one starts the port.
            var colon = value.IndexOf(':');
            var host = colon < 0 ? value : value[..colon];
            port = colon < 0 ? default : value[(colon + 1)..];
            if (!IsRegName(host))
            {
                return false;
            }
        }
        foreach (var c in port)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    // reg-name = *( unreserved / pct-encoded / sub-delims )
    private static bool IsRegName(ReadOnlySpan<char> host)
    {
        for (var i = 0; i < host.Length; i++)
        {
            var c = host[i];
            if (c == '%')
            {
                if (i + 2 >= host.Length || !char.IsAsciiHexDigit(host[i + 1]) || !char.IsAsciiHexDigit(host[i + 2]))
                {
                    return false;
                }
                i += 2;
            }
            else if (!IsUnreserved(c) && !IsSubDelimiter(c))
            {
                return false;
            }
        }
        return true;
    }

    // IPv6address, IPvFuture ("v" HEXDIG "." ...) and an RFC 6874 zone ("%25..."): their characters, not their shape.
    private static bool IsIpLiteral(ReadOnlySpan<char> literal)
    {
        foreach (var c in literal)
        {
            if (!IsUnreserved(c) && !IsSubDelimiter(c) && c is not (':' or '%'))
            {
                return false;
            }
        }
        return true;
    }

    // unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
    private static bool IsUnreserved(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~';

    // sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
    private static bool IsSubDelimiter(char c) => c is '!' or '$' or '&' or '\'' or '(' or ')' or '*' or '+' or ',' or ';' or '=';
}
