using System.Text;

namespace FileServer.Http;

/// <summary>
/// Shared string instances for the methods and field names nearly every request carries, so parsing a head
/// does not allocate them again each time; anything else is decoded as usual.
/// </summary>
internal static class KnownTokens
{
    private static readonly string[] Methods = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE"];

    private static readonly string[] FieldNames =
    [
        "Host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language", "Connection", "Range", "If-Range",
        "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "Content-Length",
        "Transfer-Encoding", "Cache-Control", "Pragma", "Referer", "Cookie", "Upgrade-Insecure-Requests",
    ];

    /// <summary>The method as a string: a shared instance for the common ones.</summary>
    public static string Method(ReadOnlySpan<byte> bytes) => Find(Methods, bytes, ignoreCase: false) ?? Encoding.ASCII.GetString(bytes);

    /// <summary>The field name as a string: a shared instance for the common ones (names compare case-insensitively).</summary>
    public static string FieldName(ReadOnlySpan<byte> bytes) => Find(FieldNames, bytes, ignoreCase: true) ?? Encoding.ASCII.GetString(bytes);

    private static string? Find(string[] known, ReadOnlySpan<byte> bytes, bool ignoreCase)
    {
        foreach (var candidate in known)
        {
            if (candidate.Length == bytes.Length && Matches(candidate, bytes, ignoreCase))
            {
                return candidate;
            }
        }
        return null;
    }

    private static bool Matches(string candidate, ReadOnlySpan<byte> bytes, bool ignoreCase)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            var c = (char)bytes[i];
            if (c != candidate[i] && !(ignoreCase && char.ToLowerInvariant(c) == char.ToLowerInvariant(candidate[i])))
            {
                return false;
            }
        }
        return true;
    }
}
