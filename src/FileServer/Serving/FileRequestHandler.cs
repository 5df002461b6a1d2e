using System.Globalization;
using System.Runtime.CompilerServices;
using FileServer.Http;
using FileServer.Platform;

namespace FileServer.Serving;

/// <summary>
/// Serves a regular file found beneath the root: opens it through the cache, evaluates the validators and
/// preconditions (RFC 9110 §13), picks the ranges (§14), writes the head, and hands the body to whichever
/// <see cref="IBodySender"/> the <see cref="BodyPathChooser"/> picks.
/// </summary>
internal sealed class FileRequestHandler
{
    private readonly PathResolver _resolver;
    private readonly ContentTypeMap _contentTypes;
    private readonly BodyPathChooser _chooser;
    private readonly ResponseWriter _responses;
    private readonly OpenFileCache _files;
    private readonly FileOpenFailures _openFailures;
    private readonly TimeProvider _clock;
    private readonly string? _cacheControl;
    private readonly DigestCache? _digests;
    private readonly bool _alwaysDigest;
    private readonly ValidatorCache _validators = new();

    /// <summary>
    /// Creates the handler from its collaborators; <paramref name="clock"/> is the time of message origination, and
    /// <paramref name="cacheControl"/>, when set, the <c>Cache-Control</c> every file response carries.
    /// </summary>
    /// <remarks>
    /// With <paramref name="digests"/>, a response carries <c>Repr-Digest</c> once the file's digest is ready, when the
    /// request asks for it (<c>Want-Repr-Digest</c>) or <paramref name="alwaysDigest"/> says so.
    /// </remarks>
    public FileRequestHandler(PathResolver resolver, ContentTypeMap contentTypes, BodyPathChooser chooser, ResponseWriter responses, OpenFileCache files, FileOpenFailures openFailures, TimeProvider clock, string? cacheControl = null, DigestCache? digests = null, bool alwaysDigest = false)
    {
        _digests = digests;
        _alwaysDigest = alwaysDigest;
        _cacheControl = cacheControl;
        _resolver = resolver;
        _contentTypes = contentTypes;
        _chooser = chooser;
        _responses = responses;
        _files = files;
        _openFailures = openFailures;
        _clock = clock;
    }

    /// <summary>
    /// Answers <paramref name="exchange"/> with the file <paramref name="found"/> (disposed here), using
    /// <paramref name="held"/>, the cache's open file for its path, when it is still that file; with
    /// <paramref name="shape"/>, as a download (<c>?download</c>) or as an encoded sibling standing for another name.
    /// </summary>
    /// <exception cref="FileTruncatedException">The file shrank mid-body: the caller must abort the connection.</exception>
    /// <exception cref="IOException">The peer went away.</exception>
    // Runs once per request: pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ResponseSummary> ServeAsync(Exchange exchange, FileLookup found, OpenFileCache.Entry? held, FileResponseShape shape, CancellationToken cancellationToken)
    {
        var (request, transport, keepAlive, progress) = exchange;
        OpenFileCache.Lease lease;
        try
        {
            lease = _files.Open(_resolver.Root, found, held);
        }
        catch (FileNotFoundException)
        {
            return _responses.Error(exchange, HttpStatus.NotFound, "No such file");
        }
        catch (UnauthorizedAccessException)
        {
            return _responses.Error(exchange, HttpStatus.Forbidden, "Permission denied");
        }
        catch (NotRegularFileException)
        {
            return _responses.Error(exchange, HttpStatus.Forbidden, "Not a regular file");
        }
        catch (IOException e)
        {
            return _openFailures.Answer(exchange, found.Path, e);
        }
        finally
        {
            // The lease holds the file open now (or nothing does): the lookup's descriptor is of no more use.
            found.Dispose();
        }

        using (lease)
        {
            var status = lease.Status;
            var now = _clock.GetUtcNow();
            // RFC 9110 §8.8.2.1: a modification time in the future is sent as the time of the response. Such a
            // Last-Modified changes every second, so it is formatted for this response only.
            var fromTheFuture = status.Modified > now;
            var lastModified = fromTheFuture ? now : status.Modified;
            var validators = fromTheFuture
                ? ValidatorCache.Describe(status.Length, status.ModifiedUnixNanoseconds, now)
                : _validators.Get(status.Length, status.ModifiedUnixNanoseconds, lastModified);
            if (shape.Coding is not null)
            {
                // Distinct per coding: a cache must never answer an If-None-Match for br bytes with gzip's.
                validators = validators with { ETag = validators.ETag.WithSuffix(shape.Coding) };
            }
            var etag = validators.ETag;
            switch (Preconditions.Evaluate(request.Method, request.Headers, etag, lastModified))
            {
                case PreconditionOutcome.NotModified:
                    return NotModified(exchange, validators, shape.VariesByEncoding);
                case PreconditionOutcome.PreconditionFailed:
                    return _responses.Error(exchange, HttpStatus.PreconditionFailed, "Precondition failed");
            }

            // RFC 9110 §14.2: Range is considered only when the answer would otherwise be 200, and If-Range agrees.
            // Two Range lines make an invalid Range, which is ignored (§14.2).
            var ranges = Preconditions.RangeApplies(request.Headers, etag, lastModified, now)
                ? ByteRangeParser.Parse(request.Headers.GetSingle("Range"), status.Length)
                : RangeSet.Ignored;
            if (ranges.Kind == RangeSetKind.Unsatisfiable)
            {
                return RangeNotSatisfiable(exchange, status.Length);
            }

            var named = shape.NamedPath ?? found.RelativePath;
            var contentType = _contentTypes.Lookup(named);
            var plan = ResponsePlan.For(ranges, contentType, status.Length);
            var head = _responses.Create(plan.Status, request, keepAlive);
            if (plan.Status == HttpStatus.Ok)
            {
                head.AddRendered(fromTheFuture
                    ? RepresentationFields.Render(contentType, validators).Bytes
                    : WholeFileFields(lease, contentType, validators).Bytes);
            }
            else
            {
                head.Add("Content-Type", plan.ContentType)
                    .Add("Content-Length", plan.ContentLength.ToString(CultureInfo.InvariantCulture))
                    .Add("Last-Modified", validators.LastModified)
                    .Add("ETag", etag.ToString())
                    .Add("Accept-Ranges", "bytes");
                if (plan.ContentRange is not null)
                {
                    head.Add("Content-Range", plan.ContentRange);
                }
            }
            if (_cacheControl is not null)
            {
                head.Add("Cache-Control", _cacheControl);
            }
            if (_digests is not null && (_alwaysDigest || WantReprDigest.AsksForSha256(request.Headers))
                && _digests.FieldValueOrRequest(FileVersion.Of(status), found.RelativePath) is { } digest)
            {
                // The whole representation's digest, on a 206 too (RFC 9530 §3).
                head.Add("Repr-Digest", digest);
            }
            if (shape.Coding is not null)
            {
                head.Add("Content-Encoding", shape.Coding);
            }
            if (shape.VariesByEncoding)
            {
                head.Add("Vary", "Accept-Encoding");
            }
            if (shape.Attachment)
            {
                head.Add("Content-Disposition", ContentDisposition.Attachment(named[(named.LastIndexOf('/') + 1)..]));
            }
            if (request.Method == "HEAD" || plan.ContentLength == 0)
            {
                _responses.WriteAndRecycle(transport, head);
                return new ResponseSummary(plan.Status, 0, BodyPath.None, keepAlive);
            }
            // Chosen before the head leaves: a body that cannot go zero-copy is copied from its first byte.
            var sender = _chooser.Choose(transport, lease.File, plan.ContentLength);
            var rendered = ResponseWriter.Render(head);
            _responses.Recycle(head);
            progress.BodyStarting(plan.Status, sender.Path, transport.BytesWritten + rendered.Memory.Length, plan.ContentLength);
            BodyPath taken;
            using (rendered)
            {
                taken = await sender.SendAsync(transport, lease.File, plan.Segments(rendered.Memory), cancellationToken).ConfigureAwait(false);
            }
            return new ResponseSummary(plan.Status, plan.ContentLength, taken, keepAlive);
        }
    }

    // The fields of a 200 for this file version: those kept with the open file while they still describe it.
    private static RepresentationFields WholeFileFields(in OpenFileCache.Lease lease, string contentType, ValidatorCache.Entry validators)
    {
        var fields = lease.RenderedFields;
        if (fields is null || !fields.Describes(contentType, validators))
        {
            fields = RepresentationFields.Render(contentType, validators);
            lease.RememberFields(fields);
        }
        return fields;
    }

    // Its own method: a lambda capturing a local of ServeAsync would make the compiler allocate the closure at the
    // top of that scope on every request, not only on this rare path.
    private ResponseSummary RangeNotSatisfiable(in Exchange exchange, long length) =>
        _responses.Error(exchange, HttpStatus.RangeNotSatisfiable, "No requested range overlaps the file",
            h => h.Add("Content-Range", ByteRange.UnsatisfiedContentRange(length)));

    private ResponseSummary NotModified(in Exchange exchange, ValidatorCache.Entry validators, bool variesByEncoding)
    {
        // RFC 9110 §15.4.5: the validators and Date, no representation metadata, never a body.
        var head = _responses.Create(HttpStatus.NotModified, exchange.Request, exchange.KeepAlive)
            .Add("ETag", validators.ETag.ToString())
            .Add("Last-Modified", validators.LastModified);
        // §15.4.5: a 304 carries the Cache-Control and Vary the 200 would have.
        if (_cacheControl is not null)
        {
            head.Add("Cache-Control", _cacheControl);
        }
        if (variesByEncoding)
        {
            head.Add("Vary", "Accept-Encoding");
        }
        _responses.WriteAndRecycle(exchange.Transport, head);
        return new ResponseSummary(HttpStatus.NotModified, 0, BodyPath.None, exchange.KeepAlive);
    }
}
