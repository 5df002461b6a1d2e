using System.Globalization;
using System.Runtime.CompilerServices;
using FileServer.Http;
using FileServer.Platform;
using FileServer.Transport;
using Microsoft.Extensions.Logging;

namespace FileServer.Serving;

/// <summary>
/// Answers one request for a file under the root: method check, path resolution, validators, and the body
/// handed to whichever <see cref="IBodySender"/> the <see cref="BodyPathChooser"/> picks.
/// </summary>
public sealed class FileRequestHandler
{
    private const string AllowedMethods = "GET, HEAD, OPTIONS";

    // Linux errno values, which .NET and the platform layer carry as an IOException's HResult.
    private const int Enfile = 23;
    private const int Emfile = 24;

    private readonly PathResolver _resolver;
    private readonly ContentTypeMap _contentTypes;
    private readonly BodyPathChooser _chooser;
    private readonly ResponseHeads _heads;
    private readonly OpenFileCache _files;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly ValidatorCache _validators = new();
    private readonly LogThrottle _outOfDescriptorsLog;

    /// <summary>
    /// Creates a handler from its collaborators; <paramref name="clock"/> is the time of message origination; the
    /// server's own failures (a file that cannot be opened for a reason not the client's) go to <paramref name="log"/>.
    /// </summary>
    public FileRequestHandler(PathResolver resolver, ContentTypeMap contentTypes, BodyPathChooser chooser, ResponseHeads heads, OpenFileCache files, TimeProvider clock, ILogger log)
    {
        _log = log;
        _resolver = resolver;
        _contentTypes = contentTypes;
        _chooser = chooser;
        _heads = heads;
        _files = files;
        _clock = clock;
        _outOfDescriptorsLog = new LogThrottle(clock, TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// Writes the response to <paramref name="request"/> on <paramref name="transport"/>. Returns once the whole
    /// response is queued or handed to the kernel; the caller drains or closes.
    /// </summary>
    /// <remarks><paramref name="progress"/> records the response once its body starts, for a caller whose send fails.</remarks>
    /// <exception cref="FileTruncatedException">The file shrank mid-body: the caller must abort the connection.</exception>
    /// <exception cref="IOException">The peer went away.</exception>
    // Runs once per request (or per queued send): pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ResponseSummary> HandleAsync(RequestHead request, ITransport transport, bool keepAlive, ResponseProgress progress, CancellationToken cancellationToken)
    {
        var isOptions = request.Method == "OPTIONS";
        if (request.Target == "*")
        {
            return isOptions ? AnswerOptions(request, transport, keepAlive) : Error(transport, HttpStatus.BadRequest, "Asterisk target is for OPTIONS only", request, keepAlive);
        }
        if (!RequestTarget.TryParse(request.Target, out var target))
        {
            return Error(transport, HttpStatus.BadRequest, "Unsupported request target", request, keepAlive);
        }
        if (isOptions)
        {
            return AnswerOptions(request, transport, keepAlive);
        }
        if (request.Method is not ("GET" or "HEAD"))
        {
            // RFC 9110 §9.1: 405 for a method we know but do not allow here, 501 for one we do not know at all.
            return IsStandardMethod(request.Method)
                ? Error(transport, HttpStatus.MethodNotAllowed, "Only GET, HEAD and OPTIONS are served", request, keepAlive, h => h.Add("Allow", AllowedMethods))
                : Error(transport, HttpStatus.NotImplemented, "Unknown method", request, keepAlive);
        }

        PathResolution resolution;
        try
        {
            resolution = _resolver.Resolve(target);
        }
        catch (IOException e)
        {
            return OpenFailed(transport, request, keepAlive, target.RawPath, e);
        }
        return resolution.Kind switch
        {
            PathResolutionKind.File => await ServeFileAsync(request, transport, keepAlive, progress, resolution.File, resolution.Held, cancellationToken).ConfigureAwait(false),
            PathResolutionKind.Redirect => Redirect(request, transport, keepAlive, resolution.Location!),
            PathResolutionKind.BadRequest => Error(transport, HttpStatus.BadRequest, resolution.Reason!, request, keepAlive),
            PathResolutionKind.Forbidden => Error(transport, HttpStatus.Forbidden, resolution.Reason!, request, keepAlive),
            _ => Error(transport, HttpStatus.NotFound, resolution.Reason ?? "No such file", request, keepAlive),
        };
    }

    // Runs once per request (or per queued send): pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ResponseSummary> ServeFileAsync(RequestHead request, ITransport transport, bool keepAlive, ResponseProgress progress, FileLookup found, OpenFileCache.Entry? held, CancellationToken cancellationToken)
    {
        OpenFileCache.Lease lease;
        try
        {
            lease = _files.Open(_resolver.Root, found, held);
        }
        catch (FileNotFoundException)
        {
            return Error(transport, HttpStatus.NotFound, "No such file", request, keepAlive);
        }
        catch (UnauthorizedAccessException)
        {
            return Error(transport, HttpStatus.Forbidden, "Permission denied", request, keepAlive);
        }
        catch (NotRegularFileException)
        {
            return Error(transport, HttpStatus.Forbidden, "Not a regular file", request, keepAlive);
        }
        catch (IOException e)
        {
            return OpenFailed(transport, request, keepAlive, found.Path, e);
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
            var etag = validators.ETag;
            switch (Preconditions.Evaluate(request.Method, request.Headers, etag, lastModified))
            {
                case PreconditionOutcome.NotModified:
                    return NotModified(request, transport, keepAlive, validators);
                case PreconditionOutcome.PreconditionFailed:
                    return Error(transport, HttpStatus.PreconditionFailed, "Precondition failed", request, keepAlive);
            }

            // RFC 9110 §14.2: Range is considered only when the answer would otherwise be 200, and If-Range agrees.
            // Two Range lines make an invalid Range, which is ignored (§14.2).
            var ranges = Preconditions.RangeApplies(request.Headers, etag, lastModified, now)
                ? ByteRangeParser.Parse(request.Headers.GetSingle("Range"), status.Length)
                : RangeSet.Ignored;
            if (ranges.Kind == RangeSetKind.Unsatisfiable)
            {
                return RangeNotSatisfiable(request, transport, keepAlive, status.Length);
            }

            var contentType = _contentTypes.Lookup(found.RelativePath);
            var plan = ResponsePlan.For(ranges, contentType, status.Length);
            var head = _heads.Create(plan.Status, request, keepAlive);
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
            if (request.Method == "HEAD" || plan.ContentLength == 0)
            {
                ResponseHeads.Write(transport, head);
                _heads.Recycle(head);
                return new ResponseSummary(plan.Status, 0, BodyPath.None, keepAlive);
            }
            // Chosen before the head leaves: a body that cannot go zero-copy is copied from its first byte.
            var sender = _chooser.Choose(transport, lease.File, plan.ContentLength);
            var rendered = ResponseHeads.Render(head);
            _heads.Recycle(head);
            progress.BodyStarting(plan.Status, sender.Path, transport.BytesWritten + rendered.Memory.Length);
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

    // Its own method: a lambda capturing a local of ServeFileAsync would make the compiler allocate the closure
    // at the top of that scope on every request, not only on this rare path.
    private ResponseSummary RangeNotSatisfiable(RequestHead request, ITransport transport, bool keepAlive, long length) =>
        Error(transport, HttpStatus.RangeNotSatisfiable, "No requested range overlaps the file", request, keepAlive,
            h => h.Add("Content-Range", ByteRange.UnsatisfiedContentRange(length)));

    private ResponseSummary NotModified(RequestHead request, ITransport transport, bool keepAlive, ValidatorCache.Entry validators)
    {
        // RFC 9110 §15.4.5: the validators and Date, no representation metadata, never a body.
        var head = _heads.Create(HttpStatus.NotModified, request, keepAlive)
            .Add("ETag", validators.ETag.ToString())
            .Add("Last-Modified", validators.LastModified);
        ResponseHeads.Write(transport, head);
        _heads.Recycle(head);
        return new ResponseSummary(HttpStatus.NotModified, 0, BodyPath.None, keepAlive);
    }

    private ResponseSummary AnswerOptions(RequestHead request, ITransport transport, bool keepAlive)
    {
        var head = _heads.Create(HttpStatus.NoContent, request, keepAlive).Add("Allow", AllowedMethods);
        ResponseHeads.Write(transport, head);
        return new ResponseSummary(HttpStatus.NoContent, 0, BodyPath.None, keepAlive);
    }

    private ResponseSummary Redirect(RequestHead request, ITransport transport, bool keepAlive, string location)
    {
        var sent = _heads.WriteError(transport, HttpStatus.MovedPermanently, "Moved to " + location, request, keepAlive, h => h.Add("Location", location));
        return new ResponseSummary(HttpStatus.MovedPermanently, sent, BodyPath.None, keepAlive);
    }

    /// <summary>Whether <paramref name="method"/> gets anything but a 405 or 501 from this handler.</summary>
    public static bool Serves(string method) => method is "GET" or "HEAD" or "OPTIONS";

    // The methods RFC 9110 §9.3 defines, and PATCH (RFC 5789): known, but not served from a directory.
    private static bool IsStandardMethod(string method) =>
        method is "POST" or "PUT" or "DELETE" or "CONNECT" or "TRACE" or "PATCH";

    // The server's failure, not a missing file and not the client's. Out of descriptors is a passing overload:
    // 503 with Retry-After (RFC 9110 §15.6.4), logged at most once a second; anything else (EIO) is an error.
    private ResponseSummary OpenFailed(ITransport transport, RequestHead request, bool keepAlive, string path, IOException e)
    {
        if (e.HResult is Enfile or Emfile)
        {
            if (_outOfDescriptorsLog.TryPass(out var suppressed))
            {
                ServingLog.OutOfDescriptors(_log, path, suppressed);
            }
            return Error(transport, HttpStatus.ServiceUnavailable, "Out of file descriptors, try again", request, keepAlive, static h => h.Add("Retry-After", "1"));
        }
        ServingLog.FileOpenFailed(_log, path, e.HResult, e.Message);
        return Error(transport, HttpStatus.InternalServerError, "The file could not be opened", request, keepAlive);
    }

    private ResponseSummary Error(ITransport transport, int status, string reason, RequestHead request, bool keepAlive, Action<ResponseHead>? extra = null)
    {
        var sent = _heads.WriteError(transport, status, reason, request, keepAlive, extra);
        return new ResponseSummary(status, sent, BodyPath.None, keepAlive);
    }
}
