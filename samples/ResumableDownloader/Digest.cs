using System.Net;

namespace ResumableDownloader;

/// <summary>A SHA-256 the server offers for the file, and where it came from.</summary>
/// <param name="Sha256">The 32 bytes.</param>
/// <param name="Source"><c>Repr-Digest</c> or the sibling's URL.</param>
internal readonly record struct Digest(byte[] Sha256, string Source)
{
    /// <summary>
    /// The <c>Repr-Digest</c> of the version downloaded (a HEAD whose validator is still <paramref name="validator"/>),
    /// else the <c>.sha256</c> sibling (<c>sha256sum</c>'s format); null when the server offers neither.
    /// </summary>
    public static async Task<Digest?> OfferedAsync(HttpClient http, Uri url, string? validator, CancellationToken cancel)
    {
        var head = await Representation.ReadAsync(http, url, HttpMethod.Head, cancel);
        if (head.Validator != validator)
        {
            throw new DownloadException("the file changed on the server during the download: start again");
        }
        if (FromReprDigest(head.ReprDigest) is { } fromField)
        {
            return new Digest(fromField, "Repr-Digest");
        }
        var sibling = new Uri(url.GetLeftPart(UriPartial.Path) + ".sha256");
        using var response = await http.GetAsync(sibling, cancel);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new DownloadException($"{sibling} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        var text = await response.Content.ReadAsStringAsync(cancel);
        var hex = text.Split([' ', '\t', '\n'], 2)[0];
        return hex.Length == 64 ? new Digest(Convert.FromHexString(hex), sibling.ToString()) : throw new DownloadException($"{sibling} holds no SHA-256");
    }

    // RFC 9530: a dictionary, e.g. "sha-256=:base64:, sha-512=:…:"; the byte sequence sits between colons.
    private static byte[]? FromReprDigest(string? field)
    {
        if (field is null)
        {
            return null;
        }
        foreach (var member in field.Split(','))
        {
            var parts = member.Trim().Split('=', 2);
            if (parts is ["sha-256", [':', .. var inner]] && inner.EndsWith(':'))
            {
                return Convert.FromBase64String(inner[..^1]);
            }
        }
        return null;
    }
}
