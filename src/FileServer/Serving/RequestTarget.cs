using FileServer.Http;

namespace FileServer.Serving;

/// <summary>
/// The path and query of a request-target (RFC 9112 §3.2): origin-form as is, absolute-form reduced to its
/// path, so the rest of the server deals with one shape only.
/// </summary>
/// <param name="RawPath">The path, still percent-encoded, always starting with <c>/</c>.</param>
/// <param name="Query">The query including its <c>?</c>, or empty.</param>
internal readonly record struct RequestTarget(string RawPath, string Query)
{
    /// <summary>Splits <paramref name="target"/>; false for forms we do not serve (authority-form, asterisk-form, garbage).</summary>
    public static bool TryParse(string target, out RequestTarget parsed)
    {
        parsed = default;
        var path = target;
        if (!path.StartsWith('/'))
        {
            // absolute-form (RFC 9112 §3.2.2): a server MUST accept it; the authority is ignored, we serve one site.
            var schemeEnd = path.IndexOf("://", StringComparison.Ordinal);
            if (schemeEnd <= 0 || !IsHttpScheme(path.AsSpan(0, schemeEnd)))
            {
                return false;
            }
            var pathStart = path.IndexOfAny(['/', '?', '#'], schemeEnd + 3);
            // RFC 9110 §4.2.1: an http URI with an empty host is invalid; §4.2.4: userinfo is an error. The
            // authority is otherwise ignored (one site), but it must be one.
            var authority = path.AsSpan(schemeEnd + 3, (pathStart < 0 ? path.Length : pathStart) - schemeEnd - 3);
            if (authority.IsEmpty || authority[0] == ':' || !HostField.IsValid(authority))
            {
                return false;
            }
            path = pathStart < 0 ? "/" : path[pathStart] == '/' ? path[pathStart..] : "/" + path[pathStart..];
        }
        var fragment = path.IndexOf('#', StringComparison.Ordinal);
        if (fragment >= 0)
        {
            path = path[..fragment];
        }
        var question = path.IndexOf('?', StringComparison.Ordinal);
        parsed = question < 0 ? new RequestTarget(path, string.Empty) : new RequestTarget(path[..question], path[question..]);
        return true;
    }

    private static bool IsHttpScheme(ReadOnlySpan<char> scheme) =>
        scheme.Equals("http", StringComparison.OrdinalIgnoreCase) || scheme.Equals("https", StringComparison.OrdinalIgnoreCase);
}
