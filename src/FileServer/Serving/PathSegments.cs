using System.Text;

namespace FileServer.Serving;

/// <summary>
/// Decodes a request path into file-system-safe segments: percent-decoding exactly once (RFC 3986 §2.1),
/// then refusing every way a segment could step outside the directory it names.
/// </summary>
internal static class PathSegments
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Splits and decodes <paramref name="rawPath"/> (starting with <c>/</c>). Empty and <c>.</c> segments are
    /// dropped; <c>..</c>, an encoded <c>/</c> or <c>\</c>, NUL, malformed escapes and invalid UTF-8 are refused
    /// with <paramref name="error"/> set. <paramref name="namesDirectory"/> is true when the path ends with
    /// <c>/</c> or a <c>.</c> segment: it can only name a directory, never a file.
    /// </summary>
    public static bool TryDecode(string rawPath, out List<string> segments, out bool namesDirectory, out string error)
    {
        segments = [];
        error = string.Empty;
        var lastIsDot = false;
        namesDirectory = rawPath.EndsWith('/');
        Span<byte> scratch = stackalloc byte[256];
        foreach (var range in rawPath.AsSpan().Split('/'))
        {
            var raw = rawPath.AsSpan()[range];
            if (raw.IsEmpty)
            {
                continue;
            }
            var bytes = raw.Length <= scratch.Length ? scratch[..raw.Length] : new byte[raw.Length];
            if (!TryPercentDecode(raw, bytes, out var length))
            {
                error = "Malformed percent-encoding in path";
                return false;
            }
            var decoded = bytes[..length];
            if (decoded.IndexOfAny((byte)'/', (byte)'\\', (byte)0) >= 0)
            {
                error = "Encoded slash, backslash or NUL in path";
                return false;
            }
            string segment;
            try
            {
                segment = StrictUtf8.GetString(decoded);
            }
            catch (DecoderFallbackException)
            {
                error = "Path is not valid UTF-8";
                return false;
            }
            lastIsDot = segment == ".";
            if (lastIsDot)
            {
                continue;
            }
            if (segment == "..")
            {
                error = "Path traversal";
                return false;
            }
            segments.Add(segment);
        }
        namesDirectory |= lastIsDot;
        return true;
    }

    private static bool TryPercentDecode(ReadOnlySpan<char> raw, Span<byte> output, out int length)
    {
        length = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '%')
            {
                if (i + 2 >= raw.Length || !char.IsAsciiHexDigit(raw[i + 1]) || !char.IsAsciiHexDigit(raw[i + 2]))
                {
                    return false;
                }
                output[length++] = (byte)((HexValue(raw[i + 1]) << 4) | HexValue(raw[i + 2]));
                i += 2;
            }
            else
            {
                // The head parser admits visible ASCII only, so every other char is one byte.
                output[length++] = (byte)c;
            }
        }
        return true;
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
