using System.Globalization;
using System.Text;
using FileServer.Platform;

namespace FileServer.Serving;

/// <summary>How a listing writes names, links, sizes and times: HTML-escaped text, percent-encoded links.</summary>
internal static class ListingText
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// <summary>
    /// The relative link to <paramref name="entry"/>: every byte of its name outside RFC 3986's unreserved set
    /// percent-encoded (so <c>#</c>, <c>?</c>, <c>%</c>, <c>;</c>, <c>:</c> and spaces stay part of the name, and
    /// a name that is not valid UTF-8 keeps its bytes), a slash after a directory.
    /// </summary>
    public static string Href(in DirectoryEntry entry)
    {
        var bytes = entry.RawName ?? Encoding.UTF8.GetBytes(entry.Name);
        var href = new StringBuilder(bytes.Length + 8);
        AppendEncoded(href, bytes);
        if (entry.IsDirectory)
        {
            href.Append('/');
        }
        return href.ToString();
    }

    /// <summary>Percent-encodes one path segment's UTF-8 bytes (unreserved characters kept).</summary>
    public static void AppendEncoded(StringBuilder to, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
            {
                to.Append((char)b);
            }
            else
            {
                to.Append('%').Append(((int)b).ToString("X2", CultureInfo.InvariantCulture));
            }
        }
    }

    /// <summary>Escapes text for HTML content and quoted attribute values.</summary>
    public static void AppendEscaped(StringBuilder to, string text)
    {
        foreach (var c in text)
        {
            _ = c switch
            {
                '&' => to.Append("&amp;"),
                '<' => to.Append("&lt;"),
                '>' => to.Append("&gt;"),
                '"' => to.Append("&quot;"),
                '\'' => to.Append("&#39;"),
                _ => to.Append(c),
            };
        }
    }

    /// <summary>A size for people: <c>512 B</c>, <c>1.5 KiB</c>, <c>4.0 GiB</c> (powers of 1024).</summary>
    public static string HumanSize(long bytes)
    {
        if (bytes < 1024)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + " B";
        }
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString(value < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " " + Units[unit];
    }

    /// <summary>The modification time in RFC 3339, UTC (<c>2026-12-04T02:10:33Z</c>).</summary>
    public static string Rfc3339(long unixNanoseconds) =>
        DateTimeOffset.UnixEpoch.AddTicks(unixNanoseconds / 100).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The modification time as a listing shows it: <c>2026-12-04 02:10</c>, UTC.</summary>
    public static string ShortTime(long unixNanoseconds) =>
        DateTimeOffset.UnixEpoch.AddTicks(unixNanoseconds / 100).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
