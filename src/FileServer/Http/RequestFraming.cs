using System.Globalization;

namespace FileServer.Http;

/// <summary>
/// Decides how a request body is delimited from its head, refusing the ambiguous cases that enable request
/// smuggling (RFC 9112 §6.1, §6.3). Also enforces the Host rule of RFC 9112 §3.2.
/// </summary>
internal static class RequestFraming
{
    public static (RequestBodyFraming Framing, long ContentLength) Determine(HttpProtocolVersion version, RequestHeaders headers)
    {
        var hosts = headers.CountOf("Host");
        if (version == HttpProtocolVersion.Http11 && hosts == 0)
        {
            throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Missing Host header");
        }
        if (hosts > 1)
        {
            throw new HttpRequestRejectedException(HttpStatus.BadRequest, "More than one Host header");
        }
        if (hosts == 1 && !HostField.IsValid(headers.Get("Host")))
        {
            throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Invalid Host header");
        }

        var transferEncoding = headers.GetCombined("Transfer-Encoding");
        var contentLength = headers.GetCombined("Content-Length");
        if (transferEncoding is not null)
        {
            if (contentLength is not null)
            {
                throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Both Transfer-Encoding and Content-Length");
            }
            if (version == HttpProtocolVersion.Http10)
            {
                throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Transfer-Encoding in an HTTP/1.0 request");
            }
            var lastComma = transferEncoding.LastIndexOf(',');
            var finalCoding = transferEncoding.AsSpan(lastComma + 1).Trim(" \t");
            if (!finalCoding.Equals("chunked", StringComparison.OrdinalIgnoreCase))
            {
                throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Transfer-Encoding without final chunked coding");
            }
            return (RequestBodyFraming.Chunked, 0);
        }

        if (contentLength is null)
        {
            return (RequestBodyFraming.None, 0);
        }
        long? length = null;
        foreach (var range in contentLength.AsSpan().Split(','))
        {
            var element = contentLength.AsSpan()[range].Trim(" \t");
            if (element.IsEmpty || !IsAllDigits(element) ||
                !long.TryParse(element, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Invalid Content-Length");
            }
            if (length is not null && length != value)
            {
                throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Conflicting Content-Length values");
            }
            length = value;
        }
        return length == 0 ? (RequestBodyFraming.None, 0) : (RequestBodyFraming.ContentLength, length!.Value);
    }

    private static bool IsAllDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return true;
    }
}
