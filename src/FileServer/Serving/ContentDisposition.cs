using System.Text;

namespace FileServer.Serving;

/// <summary>
/// <c>Content-Disposition: attachment</c> (RFC 6266) for <c>?download</c>: a quoted ASCII <c>filename</c> for old
/// clients, and <c>filename*</c> in RFC 8187's <c>UTF-8''</c> form when the name is not plain ASCII.
/// </summary>
internal static class ContentDisposition
{
    /// <summary>Whether <paramref name="query"/> (with its <c>?</c>, or empty) asks for a download: a <c>download</c> parameter, with or without a value.</summary>
    public static bool IsRequested(string query)
    {
        foreach (var pair in query.TrimStart('?').Split('&'))
        {
            if (pair == "download" || pair.StartsWith("download=", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The field value that names <paramref name="fileName"/> (the last name of the path) as an attachment.</summary>
    public static string Attachment(string fileName)
    {
        // The quoted fallback holds printable ASCII only; a quote, backslash or percent there is replaced too, as
        // clients unescape it differently.
        var plain = new StringBuilder(fileName.Length);
        foreach (var c in fileName)
        {
            plain.Append(c is < ' ' or > '~' or '"' or '\\' or '%' ? '_' : c);
        }
        if (plain.ToString() == fileName)
        {
            return $"attachment; filename=\"{fileName}\"";
        }
        // RFC 8187 §3.2.1: attr-char is ALPHA / DIGIT / "!#$&+-.^_`|~"; everything else percent-encoded as UTF-8.
        var extended = new StringBuilder(fileName.Length * 3);
        foreach (var b in Encoding.UTF8.GetBytes(fileName))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || "!#$&+-.^_`|~".Contains((char)b, StringComparison.Ordinal))
            {
                extended.Append((char)b);
            }
            else
            {
                extended.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return $"attachment; filename=\"{plain}\"; filename*=UTF-8''{extended}";
    }
}
