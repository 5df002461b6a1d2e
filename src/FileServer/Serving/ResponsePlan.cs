using System.Security.Cryptography;
using FileServer.Http;

namespace FileServer.Serving;

/// <summary>
/// The shape of a file response once preconditions and Range are settled: 200 with the whole file, 206 with
/// one range, or 206 <c>multipart/byteranges</c> with several — its status, framing fields and body segments.
/// </summary>
// A struct: built and used once per file response, no reason to put it on the heap.
internal readonly struct ResponsePlan
{
    private readonly IReadOnlyList<ByteRange>? _ranges;
    private readonly MultipartByteRanges? _multipart;

    private ResponsePlan(int status, string contentType, long contentLength, string? contentRange, IReadOnlyList<ByteRange>? ranges, MultipartByteRanges? multipart)
    {
        Status = status;
        ContentType = contentType;
        ContentLength = contentLength;
        ContentRange = contentRange;
        _ranges = ranges;
        _multipart = multipart;
    }

    public int Status { get; }

    public string ContentType { get; }

    public long ContentLength { get; }

    public string? ContentRange { get; }

    public static ResponsePlan For(RangeSet ranges, string contentType, long length)
    {
        if (ranges.Kind != RangeSetKind.Satisfiable)
        {
            // The whole file: no range list is kept, Segments builds the one file range from the length.
            return new ResponsePlan(HttpStatus.Ok, contentType, length, null, null, null);
        }
        if (ranges.Ranges.Count == 1)
        {
            var range = ranges.Ranges[0];
            return new ResponsePlan(HttpStatus.PartialContent, contentType, range.Length, range.ContentRange(length), ranges.Ranges, null);
        }
        var multipart = new MultipartByteRanges(NewBoundary(), contentType, length, ranges.Ranges);
        return new ResponsePlan(HttpStatus.PartialContent, multipart.ContentType, multipart.ContentLength, null, ranges.Ranges, multipart);
    }

    /// <summary>The head, then the body: file ranges, with part headers and the closing delimiter for multipart.</summary>
    public BodySegments Segments(ReadOnlyMemory<byte> head)
    {
        if (_ranges is null)
        {
            return BodySegments.Of(BodySegment.FromBytes(head), BodySegment.FromFile(0, ContentLength));
        }
        if (_multipart is null && _ranges.Count == 1)
        {
            return BodySegments.Of(BodySegment.FromBytes(head), BodySegment.FromFile(_ranges[0].Start, _ranges[0].Length));
        }
        var segments = new List<BodySegment>(2 + (_ranges.Count * 2)) { BodySegment.FromBytes(head) };
        for (var i = 0; i < _ranges.Count; i++)
        {
            if (_multipart is not null)
            {
                segments.Add(BodySegment.FromBytes(_multipart.PartHeader(i)));
            }
            segments.Add(BodySegment.FromFile(_ranges[i].Start, _ranges[i].Length));
        }
        if (_multipart is not null)
        {
            segments.Add(BodySegment.FromBytes(_multipart.Closing));
        }
        return BodySegments.Of(segments);
    }

    // A random boundary cannot occur in the file by accident often enough to matter, and cannot be predicted.
    private static string NewBoundary() => "fileserver-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
}
