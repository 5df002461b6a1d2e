using System.Net;

namespace ResumableDownloader;

/// <summary>What a HEAD says of the file: its length, the validator to resume against, whether it serves ranges.</summary>
/// <param name="Length">The length, when given.</param>
/// <param name="Validator">A strong <c>ETag</c>, or else <c>Last-Modified</c> (both usable in <c>If-Range</c>); null when neither.</param>
/// <param name="AcceptsRanges">Whether <c>Accept-Ranges: bytes</c> was sent.</param>
/// <param name="ReprDigest">The <c>Repr-Digest</c> field, when sent.</param>
internal sealed record Representation(long? Length, string? Validator, bool AcceptsRanges, string? ReprDigest)
{
    /// <summary>Asks with <paramref name="method"/> (HEAD), preferring a SHA-256 <c>Repr-Digest</c> (RFC 9530).</summary>
    public static async Task<Representation> ReadAsync(HttpClient http, Uri url, HttpMethod method, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.TryAddWithoutValidation("Want-Repr-Digest", "sha-256=10");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new DownloadException($"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        var etag = response.Headers.ETag;
        var validator = etag is { IsWeak: false } ? etag.ToString()
            : response.Content.Headers.LastModified is { } modified ? modified.ToString("R") : null;
        var ranges = response.Headers.AcceptRanges.Contains("bytes");
        var digest = response.Headers.TryGetValues("Repr-Digest", out var values) ? string.Join(", ", values) : null;
        return new Representation(response.Content.Headers.ContentLength, validator, ranges, digest);
    }
}
