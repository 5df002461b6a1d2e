using System.Globalization;
using FileServer.Http;
using FileServer.Platform;

namespace FileServer.Serving;

/// <summary>
/// <c>GET /dir/?archive=tar</c>: the directory tree as one POSIX tar stream, planned first (<see cref="TarPlan"/>:
/// exact length, strong ETag), then sent member by member: headers through the transport, member bytes through the
/// body path the chooser picks, zero-copy where it can. A single <c>Range</c> (with <c>If-Range</c>) slices the same
/// bytes, so an interrupted folder download resumes exactly while the tree is unchanged. A member that is not, when
/// its turn comes, the version planned (another size or time) aborts the connection: a short or mixed archive is never
/// presented as complete.
/// </summary>
internal sealed class ArchiveHandler
{
    private static readonly byte[] Zeros = new byte[TarPlan.TrailerLength];

    private readonly PathResolver _resolver;
    private readonly BodyPathChooser _chooser;
    private readonly ResponseWriter _responses;
    private readonly FileOpenFailures _openFailures;

    /// <summary>Archives trees found through <paramref name="resolver"/>; bodies leave by <paramref name="chooser"/>'s path.</summary>
    public ArchiveHandler(PathResolver resolver, BodyPathChooser chooser, ResponseWriter responses, FileOpenFailures openFailures)
    {
        _resolver = resolver;
        _chooser = chooser;
        _responses = responses;
        _openFailures = openFailures;
    }

    /// <summary>Whether <paramref name="query"/> asks for the tar archive of a directory.</summary>
    public static bool IsRequested(string query) =>
        query.TrimStart('?').Split('&').Contains("archive=tar", StringComparer.Ordinal);

    /// <summary>Answers <paramref name="exchange"/> with the archive of the directory <paramref name="found"/> (disposed here).</summary>
    /// <exception cref="FileTruncatedException">A member changed since the plan: the caller aborts the connection.</exception>
    /// <exception cref="IOException">The peer went away.</exception>
    public async ValueTask<ResponseSummary> ServeAsync(Exchange exchange, FileLookup found, CancellationToken cancellationToken)
    {
        var root = _resolver.Root;
        var baseName = found.RelativePath.Length == 0 ? Path.GetFileName(root.RealPath.TrimEnd('/')) : found.RelativePath[(found.RelativePath.LastIndexOf('/') + 1)..];
        if (baseName.Length == 0)
        {
            baseName = "root";
        }
        TarPlan plan;
        try
        {
            plan = TarPlan.Create(root, found, baseName, _resolver.AllowDotfiles);
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
        if (_responses.AnswerPreconditions(exchange, plan.ETag, lastModified: null) is { } decided)
        {
            return decided;
        }
        // If-Range with the plan's tag: the same tree, so the same bytes; a date never matches (no Last-Modified).
        var ranges = Preconditions.RangeApplies(request.Headers, plan.ETag, DateTimeOffset.MinValue, DateTimeOffset.MaxValue)
            ? ByteRangeParser.Parse(request.Headers.GetSingle("Range"), plan.Length)
            : RangeSet.Ignored;
        if (ranges.Kind == RangeSetKind.Unsatisfiable)
        {
            return _responses.Error(exchange, HttpStatus.RangeNotSatisfiable, "No requested range overlaps the archive",
                h => h.Add("Content-Range", ByteRange.UnsatisfiedContentRange(plan.Length)));
        }
        // One range slices the stream; several (rare for a download) get the whole archive, as RFC 9110 §14.2 allows.
        var range = ranges.Kind == RangeSetKind.Satisfiable && ranges.Ranges.Count == 1 ? ranges.Ranges[0] : new ByteRange(0, plan.Length);
        var status = range.Length == plan.Length ? HttpStatus.Ok : HttpStatus.PartialContent;
        var head = _responses.Create(status, request, exchange.KeepAlive)
            .Add("Content-Type", "application/x-tar")
            .Add("Content-Length", range.Length.ToString(CultureInfo.InvariantCulture))
            .Add("ETag", plan.ETag.ToString())
            .Add("Accept-Ranges", "bytes")
            .Add("Content-Disposition", ContentDisposition.Attachment(baseName + ".tar"));
        if (status == HttpStatus.PartialContent)
        {
            head.Add("Content-Range", range.ContentRange(plan.Length));
        }
        _responses.WriteAndRecycle(exchange.Transport, head);
        if (exchange.IsHead)
        {
            return new ResponseSummary(status, 0, BodyPath.None, exchange.KeepAlive);
        }
        var path = await SendAsync(exchange, plan, range, cancellationToken).ConfigureAwait(false);
        return new ResponseSummary(status, range.Length, path, exchange.KeepAlive);
    }

    private async ValueTask<BodyPath> SendAsync(Exchange exchange, TarPlan plan, ByteRange range, CancellationToken cancellationToken)
    {
        var transport = exchange.Transport;
        var root = _resolver.Root;
        long from = range.Start, to = range.Start + range.Length;
        var taken = BodyPath.Copy;
        exchange.Progress.BodyStarting(range.Length == plan.Length ? HttpStatus.Ok : HttpStatus.PartialContent, BodyPath.Copy, transport.BytesWritten, range.Length);
        foreach (var member in plan.Members)
        {
            if (member.End <= from || member.Offset >= to)
            {
                continue;
            }
            var header = TarHeader.Render(member.Name, member.Size, member.ModifiedUnixNanoseconds / 1_000_000_000, member.IsDirectory);
            var segments = new List<BodySegment>(3);
            AddBytes(segments, header, member.Offset, from, to);
            if (member.Size > 0)
            {
                var start = Math.Max(from, member.DataOffset);
                var end = Math.Min(to, member.DataOffset + member.Size);
                if (end > start)
                {
                    segments.Add(BodySegment.FromFile(start - member.DataOffset, end - start));
                }
                AddBytes(segments, Zeros.AsMemory(0, TarHeader.Padding(member.Size)), member.DataOffset + member.Size, from, to);
            }
            if (segments.Exists(s => s.IsFileRange))
            {
                using var file = OpenAsPlanned(root, member);
                taken = await _chooser.Choose(transport, file, member.Size).SendAsync(transport, file, BodySegments.Of(segments), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                foreach (var segment in segments)
                {
                    transport.Write(segment.Bytes.Span);
                }
            }
            await transport.DrainAsync(cancellationToken).ConfigureAwait(false);
        }
        var trailer = new List<BodySegment>(1);
        AddBytes(trailer, Zeros, plan.Length - TarPlan.TrailerLength, from, to);
        foreach (var segment in trailer)
        {
            transport.Write(segment.Bytes.Span);
        }
        return taken;
    }

    // The part of bytes (at offset in the archive) inside [from, to).
    private static void AddBytes(List<BodySegment> segments, ReadOnlyMemory<byte> bytes, long offset, long from, long to)
    {
        var start = Math.Max(from, offset);
        var end = Math.Min(to, offset + bytes.Length);
        if (end > start)
        {
            segments.Add(BodySegment.FromBytes(bytes.Slice((int)(start - offset), (int)(end - start))));
        }
    }

    private static OpenedFile OpenAsPlanned(IFileRoot root, TarMember member)
    {
        using var found = root.Find(member.RelativePath);
        if (found.Outcome != LookupOutcome.Found || found.Status.Kind != FileKind.Regular)
        {
            throw new FileTruncatedException(0, member.Size);
        }
        var file = root.Open(found);
        if (file.Status.Length != member.Size || file.Status.ModifiedUnixNanoseconds != member.ModifiedUnixNanoseconds)
        {
            // Another version than planned: its bytes would not be the archive the length and ETag describe.
            file.Dispose();
            throw new FileTruncatedException(0, member.Size);
        }
        return file;
    }
}
