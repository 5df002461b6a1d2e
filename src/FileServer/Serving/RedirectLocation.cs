using System.Text;

namespace FileServer.Serving;

/// <summary>
/// Builds the <c>Location</c> of the trailing-slash redirect from the decoded path, never from the raw request:
/// the path is the root-relative names re-encoded (RFC 3986 §3.3), so it always starts with exactly one
/// <c>/</c> (a leading <c>//</c> or <c>/\</c> would name another host to a browser), and the query keeps only
/// the characters RFC 3986 §3.4 allows, the rest percent-encoded.
/// </summary>
internal static class RedirectLocation
{
    private const string Hex = "0123456789ABCDEF";

    /// <summary>
    /// <c>/a/b/</c> for the names <c>a</c>, <c>b</c>, followed by <paramref name="query"/> (empty, or starting with
    /// <c>?</c>) made safe.
    /// </summary>
    public static string ForDirectory(IReadOnlyList<string> names, string query)
    {
        var location = new StringBuilder(64);
        foreach (var name in names)
        {
            location.Append('/');
            AppendEncoded(location, name, IsSegmentChar);
        }
        location.Append('/');
        if (query.Length > 0)
        {
            location.Append('?');
            AppendEncoded(location, query.AsSpan(1), IsQueryChar, keepEscapes: true);
        }
        return location.ToString();
    }

    private static void AppendEncoded(StringBuilder to, ReadOnlySpan<char> text, Func<char, bool> allowed, bool keepEscapes = false)
    {
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '%' && keepEscapes && i + 2 < text.Length && Uri.IsHexDigit(text[i + 1]) && Uri.IsHexDigit(text[i + 2]))
            {
                to.Append(c);
                continue;
            }
            if (c < 0x80 && c != '%' && allowed(c))
            {
                to.Append(c);
                continue;
            }
            // One scalar value at a time; a lone surrogate (never from a decoded path) becomes U+FFFD.
            var length = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])
                ? Encoding.UTF8.GetBytes(text.Slice(i++, 2), utf8)
                : Encoding.UTF8.GetBytes(char.IsSurrogate(c) ? "\uFFFD" : c.ToString(), utf8);
            foreach (var b in utf8[..length])
            {
                to.Append('%').Append(Hex[b >> 4]).Append(Hex[b & 0xF]);
            }
        }
    }

    // RFC 3986 §3.3 pchar: unreserved / sub-delims / ":" / "@" (pct-encoded handled apart).
    private static bool IsSegmentChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '!' or '$' or '&' or '\'' or '(' or ')' or '*' or '+' or ',' or ';' or '=' or ':' or '@';

    // RFC 3986 §3.4 query: pchar / "/" / "?".
    private static bool IsQueryChar(char c) => IsSegmentChar(c) || c is '/' or '?';
}
