using System.Runtime.CompilerServices;
using FileServer.Http;
using FileServer.Transport;

namespace FileServer.Serving;

/// <summary>
/// The first step of every request: the method, the target, and the path resolved beneath the root decide which
/// handler answers. Each kind of answer is a handler of its own beside this one (a file today; listings, archives
/// and digests beside it), all writing through one <see cref="ResponseWriter"/>.
/// </summary>
internal sealed class RequestDispatcher
{
    private const string AllowedMethods = "GET, HEAD, OPTIONS";

    private readonly PathResolver _resolver;
    private readonly FileRequestHandler _files;
    private readonly DirectoryListingHandler _listings;
    private readonly DigestSiblingHandler? _digestSiblings;
    private readonly PrecompressedSiblings? _precompressed;
    private readonly ArchiveHandler? _archives;
    private readonly ResponseWriter _responses;
    private readonly FileOpenFailures _openFailures;

    /// <summary>
    /// Dispatches through <paramref name="resolver"/> to <paramref name="files"/> or <paramref name="listings"/>; errors
    /// go out through <paramref name="responses"/>.
    /// </summary>
    public RequestDispatcher(PathResolver resolver, FileRequestHandler files, DirectoryListingHandler listings, ResponseWriter responses, FileOpenFailures openFailures, DigestSiblingHandler? digestSiblings = null, PrecompressedSiblings? precompressed = null, ArchiveHandler? archives = null)
    {
        _archives = archives;
        _precompressed = precompressed;
        _digestSiblings = digestSiblings;
        _resolver = resolver;
        _files = files;
        _listings = listings;
        _responses = responses;
        _openFailures = openFailures;
    }

    /// <summary>Whether <paramref name="method"/> gets anything but a 405 or 501.</summary>
    public static bool Serves(string method) => method is "GET" or "HEAD" or "OPTIONS";

    /// <summary>
    /// Writes the response to <paramref name="request"/> on <paramref name="transport"/>. Returns once the whole
    /// response is queued or handed to the kernel; the caller drains or closes.
    /// </summary>
    /// <remarks><paramref name="progress"/> records the response once its body starts, for a caller whose send fails.</remarks>
    /// <exception cref="FileTruncatedException">The file shrank mid-body: the caller must abort the connection.</exception>
    /// <exception cref="IOException">The peer went away.</exception>
    // Runs once per request: pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ResponseSummary> HandleAsync(RequestHead request, ITransport transport, bool keepAlive, ResponseProgress progress, CancellationToken cancellationToken)
    {
        if (keepAlive)
        {
            // Another response may follow: its small writes must not wait for this one's acknowledgement.
            transport.SendWithoutDelay();
        }
        else
        {
            transport.HoldUntilClose();
        }
        var exchange = new Exchange(request, transport, keepAlive, progress);
        var isOptions = request.Method == "OPTIONS";
        if (request.Target == "*")
        {
            return isOptions ? AnswerOptions(exchange) : _responses.Error(exchange, HttpStatus.BadRequest, "Asterisk target is for OPTIONS only");
        }
        if (!RequestTarget.TryParse(request.Target, out var target))
        {
            return _responses.Error(exchange, HttpStatus.BadRequest, "Unsupported request target");
        }
        if (isOptions)
        {
            return AnswerOptions(exchange);
        }
        if (request.Method is not ("GET" or "HEAD"))
        {
            // RFC 9110 §9.1: 405 for a method we know but do not allow here, 501 for one we do not know at all.
            return IsStandardMethod(request.Method)
                ? _responses.Error(exchange, HttpStatus.MethodNotAllowed, "Only GET, HEAD and OPTIONS are served", static h => h.Add("Allow", AllowedMethods))
                : _responses.Error(exchange, HttpStatus.NotImplemented, "Unknown method");
        }

        var archive = _archives is not null && target.Query.Length > 0 && ArchiveHandler.IsRequested(target.Query);
        PathResolution resolution;
        try
        {
            resolution = _resolver.Resolve(target, directoryItself: archive);
        }
        catch (IOException e)
        {
            return _openFailures.Answer(exchange, target.RawPath, e);
        }
        if (resolution.Kind is PathResolutionKind.Directory)
        {
            // A listing reads a whole directory, an archive compresses: not on a socket engine thread, where a file's
            // answer is made (ThreadPoolHop).
            await ThreadPoolHop.OffEngineThread();
        }
        return resolution.Kind switch
        {
            PathResolutionKind.File => await ServeFileAsync(exchange, resolution, target, cancellationToken).ConfigureAwait(false),
            PathResolutionKind.Directory when archive => await _archives!.ServeAsync(exchange, resolution.File, cancellationToken).ConfigureAwait(false),
            PathResolutionKind.Directory => await _listings.ServeAsync(exchange, resolution.File, target, cancellationToken).ConfigureAwait(false),
            PathResolutionKind.Redirect => Redirect(exchange, resolution.Location!),
            PathResolutionKind.BadRequest => _responses.Error(exchange, HttpStatus.BadRequest, resolution.Reason!),
            PathResolutionKind.Forbidden => _responses.Error(exchange, HttpStatus.Forbidden, resolution.Reason!),
            PathResolutionKind.NotFound when _digestSiblings is not null && target.RawPath.EndsWith(DigestSiblingHandler.Suffix, StringComparison.Ordinal) =>
                await ServeDigestSiblingAsync(exchange, target, resolution.Reason).ConfigureAwait(false),
            _ => _responses.Error(exchange, HttpStatus.NotFound, resolution.Reason ?? "No such file"),
        };
    }

    private async ValueTask<ResponseSummary> ServeFileAsync(Exchange exchange, PathResolution resolution, RequestTarget target, CancellationToken cancellationToken)
    {
        var attachment = target.Query.Length > 0 && ContentDisposition.IsRequested(target.Query);
        EncodingChoice encoding;
        try
        {
            encoding = _precompressed?.Choose(resolution.File, exchange.Request.Headers) ?? default;
        }
        catch (IOException e)
        {
            resolution.File.Dispose();
            OpenFileCache.Let(resolution.Held);
            return _openFailures.Answer(exchange, resolution.File.Path, e);
        }
        if (encoding.Coding is null)
        {
            return await _files.ServeAsync(exchange, resolution.File, resolution.Held, new FileResponseShape(attachment, VariesByEncoding: encoding.Varies), cancellationToken).ConfigureAwait(false);
        }
        // The sibling's bytes under the original's name and type; the original's lookup and cache hold are of no use.
        var named = resolution.File.RelativePath;
        resolution.File.Dispose();
        OpenFileCache.Let(resolution.Held);
        var shape = new FileResponseShape(attachment, encoding.Coding, VariesByEncoding: true, NamedPath: named);
        return await _files.ServeAsync(exchange, encoding.Sibling, held: null, shape, cancellationToken).ConfigureAwait(false);
    }

    // A real file of that name wins (it was looked up first); else the digest of the file beside it, if there is one.
    private async ValueTask<ResponseSummary> ServeDigestSiblingAsync(Exchange exchange, RequestTarget target, string? reason)
    {
        // A digest may wait for a whole file's hash: not on a socket engine thread (ThreadPoolHop).
        await ThreadPoolHop.OffEngineThread();
        PathResolution original;
        try
        {
            original = _resolver.Resolve(target with { RawPath = target.RawPath[..^DigestSiblingHandler.Suffix.Length], Query = "" });
        }
        catch (IOException e)
        {
            return _openFailures.Answer(exchange, target.RawPath, e);
        }
        if (original.Kind != PathResolutionKind.File)
        {
            if (original.Kind == PathResolutionKind.Directory)
            {
                original.File.Dispose();
            }
            OpenFileCache.Let(original.Held);
            return _responses.Error(exchange, HttpStatus.NotFound, reason ?? "No such file");
        }
        OpenFileCache.Let(original.Held);
        return await _digestSiblings!.ServeAsync(exchange, original.File).ConfigureAwait(false);
    }

    // The methods RFC 9110 §9.3 defines, and PATCH (RFC 5789): known, but not served from a directory.
    private static bool IsStandardMethod(string method) =>
        method is "POST" or "PUT" or "DELETE" or "CONNECT" or "TRACE" or "PATCH";

    private ResponseSummary AnswerOptions(in Exchange exchange)
    {
        var head = _responses.Create(HttpStatus.NoContent, exchange.Request, exchange.KeepAlive).Add("Allow", AllowedMethods);
        _responses.WriteAndRecycle(exchange.Transport, head);
        return new ResponseSummary(HttpStatus.NoContent, 0, BodyPath.None, exchange.KeepAlive);
    }

    private ResponseSummary Redirect(in Exchange exchange, string location) =>
        _responses.Error(exchange, HttpStatus.MovedPermanently, "Moved to " + location, h => h.Add("Location", location));
}
