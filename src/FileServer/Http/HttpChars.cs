namespace FileServer.Http;

/// <summary>Character classes of the HTTP grammar (RFC 9110 §5.6.2, RFC 9112 §2–§5).</summary>
internal static class HttpChars
{
    public const byte CR = (byte)'\r';
    public const byte LF = (byte)'\n';
    public const byte Space = (byte)' ';
    public const byte Tab = (byte)'\t';
    public const byte Colon = (byte)':';

    /// <summary>tchar = "!" / "#" / "$" / "%" / "&amp;" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.</summary>
    public static bool IsTokenChar(byte b) =>
        (b >= (byte)'a' && b <= (byte)'z') || (b >= (byte)'A' && b <= (byte)'Z') || (b >= (byte)'0' && b <= (byte)'9') ||
        b is (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*' or (byte)'+' or
            (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';

    /// <summary>Whether every byte is a tchar and there is at least one.</summary>
    public static bool IsToken(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return false;
        }
        foreach (var b in bytes)
        {
            if (!IsTokenChar(b))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>field-vchar / SP / HTAB, with obs-text allowed: everything but control characters and DEL.</summary>
    public static bool IsFieldValueChar(byte b) => b == Tab || (b >= 0x20 && b != 0x7F);

    /// <summary>Visible ASCII, the characters a request-target may consist of (RFC 3986 plus a tolerant margin).</summary>
    public static bool IsTargetChar(byte b) => b > 0x20 && b < 0x7F;
}
