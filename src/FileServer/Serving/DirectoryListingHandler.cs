using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using FileServer.Http;
using FileServer.Platform;

namespace FileServer.Serving;

/// <summary>
/// Lists a directory that has no <c>index.html</c>, as HTML or JSON (<see cref="ListingQuery"/>). The page is
/// rendered whole before its head, so it has an exact length and a strong ETag from its bytes: a client that
/// revalidates gets 304 while nothing it shows has changed. Memory is the entries (a name and three numbers each)
/// and the rendered page, both freed when the response is queued.
/// </summary>
internal sealed class DirectoryListingHandler
{
    private readonly PathResolver _resolver;
    private readonly ResponseWriter _responses;
    private readonly FileOpenFailures _openFailures;

    /// <summary>Lists through <paramref name="resolver"/>'s root and answers through <paramref name="responses"/>.</summary>
    public DirectoryListingHandler(PathResolver resolver, ResponseWriter responses, FileOpenFailures openFailures)
    {
        _resolver = resolver;
        _responses = responses;
        _openFailures = openFailures;
    }

    /// <summary>Answers <paramref name="exchange"/> with the listing of the directory <paramref name="found"/> (disposed here).</summary>
    /// <exception cref="IOException">The peer went away.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ResponseSummary> ServeAsync(Exchange exchange, FileLookup found, RequestTarget target, CancellationToken cancellationToken)
    {
        IReadOnlyList<DirectoryEntry> listed;
        var path = found.RelativePath.Length == 0 ? [] : found.RelativePath.Split('/');
        try
        {
            listed = _resolver.Root.List(found);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return _openFailures.AnswerUnreadable(exchange, found.Path, e);
        }
        finally
        {
            found.Dispose();
        }

        var request = exchange.Request;
        var query = ListingQuery.Parse(target.Query, request.Headers);
        var entries = ListingEntries.Arrange(listed, query, _resolver.AllowDotfiles);
        var body = new ArrayBufferWriter<byte>(Math.Max(4096, entries.Count * 160));
        if (query.Json)
        {
            ListingJson.Render(path, entries, body);
        }
        else
        {
            ListingHtml.Render(path, entries, query, body);
        }
        var etag = TagOf(body.WrittenSpan);
        if (_responses.AnswerPreconditions(exchange, etag, lastModified: null, vary: "Accept") is { } decided)
        {
            return decided;
        }

        var head = _responses.Create(HttpStatus.Ok, request, exchange.KeepAlive)
            .Add("Content-Type", query.Json ? "application/json" : "text/html; charset=utf-8")
            .AddContentLength(body.WrittenCount)
            .Add("ETag", etag.ToString())
            .Add("Vary", "Accept")
            // The listing changes whenever the directory does: caches keep it but ask first.
            .Add("Cache-Control", "no-cache")
            .Add("X-Content-Type-Options", "nosniff");
        if (!query.Json)
        {
            head.Add("Content-Security-Policy", ListingHtml.ContentSecurityPolicy);
        }
        _responses.WriteAndRecycle(exchange.Transport, head);
        if (exchange.IsHead)
        {
            return new ResponseSummary(HttpStatus.Ok, 0, BodyPath.None, exchange.KeepAlive);
        }
        await WriteBodyAsync(exchange, body.WrittenMemory, cancellationToken).ConfigureAwait(false);
        return new ResponseSummary(HttpStatus.Ok, body.WrittenCount, BodyPath.Copy, exchange.KeepAlive);
    }

    // Queued in pieces the queue can take, draining between them: a large listing to a slow client is bounded by the
    // watermarks like any body (the page itself is already in memory).
    private static async ValueTask WriteBodyAsync(Exchange exchange, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var transport = exchange.Transport;
        exchange.Progress.BodyStarting(HttpStatus.Ok, BodyPath.Copy, transport.BytesWritten, body.Length);
        while (!body.IsEmpty)
        {
            var piece = Math.Min(body.Length, Math.Max(transport.WriteBudget, 16 * 1024));
            transport.Write(body.Span[..piece]);
            body = body[piece..];
            await transport.DrainAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static EntityTag TagOf(ReadOnlySpan<byte> body)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(body, hash);
        return new EntityTag("\"l" + Convert.ToHexStringLower(hash[..12]) + "\"", IsWeak: false);
    }
}
