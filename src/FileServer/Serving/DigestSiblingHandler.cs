using System.Globalization;
using System.Text;
using FileServer.Http;
using FileServer.Platform;

namespace FileServer.Serving;

/// <summary>
/// The virtual <c>file.ext.sha256</c> beside every served file that has no real file of that name: one
/// <c>sha256sum</c> line (<c>HEX  file.ext</c>), so <c>sha256sum -c file.ext.sha256</c> checks a download. It waits
/// for the digest (computed once per file version in the background); its ETag is the digest itself.
/// </summary>
internal sealed class DigestSiblingHandler
{
    /// <summary>The suffix that names a digest sibling.</summary>
    public const string Suffix = ".sha256";

    private readonly DigestCache _digests;
    private readonly ResponseWriter _responses;

    /// <summary>Answers from <paramref name="digests"/> through <paramref name="responses"/>.</summary>
    public DigestSiblingHandler(DigestCache digests, ResponseWriter responses)
    {
        _digests = digests;
        _responses = responses;
    }

    /// <summary>Answers <paramref name="exchange"/> with the digest line of the file <paramref name="found"/> (disposed here).</summary>
    public async ValueTask<ResponseSummary> ServeAsync(Exchange exchange, FileLookup found)
    {
        var version = FileVersion.Of(found.Status);
        var path = found.RelativePath;
        var modified = found.Status.Modified;
        found.Dispose();
        var digest = await _digests.GetAsync(version, path, exchange.Transport.Aborted).ConfigureAwait(false);
        if (digest is null)
        {
            // Changed while it was hashed, or unreadable: nothing true to say now.
            return _responses.Error(exchange, HttpStatus.ServiceUnavailable, "The file changed while its digest was computed, try again", static h => h.Add("Retry-After", "1"));
        }
        var hex = Convert.ToHexStringLower(digest);
        var etag = new EntityTag($"\"sha256-{hex[..32]}\"", IsWeak: false);
        var request = exchange.Request;
        if (_responses.AnswerPreconditions(exchange, etag, modified) is { } decided)
        {
            return decided;
        }
        // sha256sum's format: two spaces (text mode), then the name as the user saved it, without its directories.
        var body = Encoding.UTF8.GetBytes($"{hex}  {path[(path.LastIndexOf('/') + 1)..]}\n");
        var head = _responses.Create(HttpStatus.Ok, request, exchange.KeepAlive)
            .Add("Content-Type", "text/plain; charset=utf-8")
            .Add("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture))
            .Add("ETag", etag.ToString())
            .Add("X-Content-Type-Options", "nosniff");
        _responses.WriteAndRecycle(exchange.Transport, head);
        if (exchange.IsHead)
        {
            return new ResponseSummary(HttpStatus.Ok, 0, BodyPath.None, exchange.KeepAlive);
        }
        exchange.Transport.Write(body);
        return new ResponseSummary(HttpStatus.Ok, body.Length, BodyPath.Copy, exchange.KeepAlive);
    }
}
