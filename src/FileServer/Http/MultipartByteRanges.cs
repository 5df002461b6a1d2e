using System.Globalization;
using System.Text;

namespace FileServer.Http;

/// <summary>
/// The framing of a <c>multipart/byteranges</c> body (RFC 9110 §14.6, RFC 2046 §5.1.1): a header block
/// before each part's bytes and a closing delimiter, with the exact total length computed up front so the
/// response can carry a Content-Length.
/// </summary>
internal sealed class MultipartByteRanges
{
    private readonly string _boundary;
    private readonly string _partContentType;
    private readonly long _completeLength;

    /// <summary>Frames <paramref name="ranges"/> of a <paramref name="completeLength"/>-byte representation of type <paramref name="partContentType"/>.</summary>
    public MultipartByteRanges(string boundary, string partContentType, long completeLength, IReadOnlyList<ByteRange> ranges)
    {
        _boundary = boundary;
        _partContentType = partContentType;
        _completeLength = completeLength;
        Ranges = ranges;
        long length = Closing.Length;
        for (var i = 0; i < ranges.Count; i++)
        {
            length += PartHeader(i).Length + ranges[i].Length;
        }
        ContentLength = length;
    }

    /// <summary>The parts' ranges, in the order they are sent.</summary>
    public IReadOnlyList<ByteRange> Ranges { get; }

    /// <summary>The response's Content-Type, naming the boundary.</summary>
    public string ContentType => "multipart/byteranges; boundary=" + _boundary;

    /// <summary>The exact body length: part headers, part bytes and the closing delimiter.</summary>
    public long ContentLength { get; }

    /// <summary>The closing delimiter, sent after the last part.</summary>
    public byte[] Closing => Encoding.ASCII.GetBytes($"\r\n--{_boundary}--\r\n");

    /// <summary>The delimiter and header fields that precede part <paramref name="index"/>.</summary>
    public byte[] PartHeader(int index)
    {
        // The CRLF before a delimiter belongs to the delimiter; the first one may be left out (RFC 2046 §5.1.1).
        var lead = index == 0 ? string.Empty : "\r\n";
        return Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{lead}--{_boundary}\r\nContent-Type: {_partContentType}\r\nContent-Range: {Ranges[index].ContentRange(_completeLength)}\r\n\r\n"));
    }
}
