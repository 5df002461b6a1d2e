using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace FileServer.Http;

/// <summary>
/// Parses an HTTP/1.x request head (RFC 9112 §2–§6) from buffered bytes, enforcing <see cref="RequestLimits"/>.
/// Contract: <see cref="TryParse(in ReadOnlySequence{byte}, out RequestHead?, out SequencePosition)"/> returns false while the head is incomplete (nothing consumed), true with
/// the head and the position after it once complete, and throws <see cref="HttpRequestRejectedException"/>
/// for a head that is malformed, too large, or whose body framing is ambiguous.
/// </summary>
internal sealed class RequestHeadParser
{
    private readonly RequestLimits _limits;

    /// <summary>Creates a parser enforcing <paramref name="limits"/>.</summary>
    public RequestHeadParser(RequestLimits limits)
    {
        _limits = limits;
    }

    /// <summary>Tries to parse one request head from the start of <paramref name="buffer"/>.</summary>
    public bool TryParse(in ReadOnlySequence<byte> buffer, [NotNullWhen(true)] out RequestHead? head, out SequencePosition consumed) =>
        TryParse(buffer, null, out head, out consumed);

    /// <summary>
    /// As <see cref="TryParse(in ReadOnlySequence{byte}, out RequestHead?, out SequencePosition)"/>, but refills
    /// <paramref name="reuse"/> (the previous head of the same connection, no longer in use) instead of allocating
    /// a new head, and reuses its target and field value strings where the bytes are the same.
    /// </summary>
    public bool TryParse(in ReadOnlySequence<byte> buffer, RequestHead? reuse, [NotNullWhen(true)] out RequestHead? head, out SequencePosition consumed)
    {
        head = null;
        consumed = buffer.Start;
        var reader = new SequenceReader<byte>(buffer);

        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line received before the request-line.
        while (reader.TryPeek(out var first) && (first == HttpChars.CR || first == HttpChars.LF))
        {
            reader.Advance(1);
            if (reader.Consumed > _limits.MaxRequestLineBytes)
            {
                throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Too many empty lines before the request line");
            }
        }
        var headStart = reader.Position;
        var leading = reader.Consumed;

        if (!reader.TryAdvanceTo(HttpChars.LF))
        {
            if (reader.Remaining > _limits.MaxRequestLineBytes)
            {
                throw new HttpRequestRejectedException(HttpStatus.UriTooLong, "Request line too long");
            }
            RejectImpossibleMethod(buffer.Slice(headStart));
            return false;
        }
        if (reader.Consumed - leading > _limits.MaxRequestLineBytes + 1)
        {
            throw new HttpRequestRejectedException(HttpStatus.UriTooLong, "Request line too long");
        }

        while (true)
        {
            var lineStart = reader.Consumed;
            if (!reader.TryAdvanceTo(HttpChars.LF))
            {
                if (buffer.Length - leading > _limits.MaxHeadBytes)
                {
                    throw new HttpRequestRejectedException(HttpStatus.RequestHeaderFieldsTooLarge, "Request head too large");
                }
                return false;
            }
            if (reader.Consumed - leading > _limits.MaxHeadBytes)
            {
                throw new HttpRequestRejectedException(HttpStatus.RequestHeaderFieldsTooLarge, "Request head too large");
            }
            var lineLength = reader.Consumed - lineStart;
            if (lineLength == 1 || (lineLength == 2 && buffer.Slice(lineStart, 1).FirstSpan[0] == HttpChars.CR))
            {
                break;
            }
        }

        var headBytes = buffer.Slice(headStart, reader.Position);
        head = ParseComplete(headBytes, reuse);
        consumed = reader.Position;
        return true;
    }

    private const int MethodScanLimit = 64;

    /// <summary>
    /// Refuses a request line that can no longer become valid before its end arrives: one that does not start
    /// with a method token. A TLS ClientHello or other binary sent to a plain port gets its 400 at once, as from
    /// nginx, instead of after the head timeout.
    /// </summary>
    private static void RejectImpossibleMethod(in ReadOnlySequence<byte> pending)
    {
        var reader = new SequenceReader<byte>(pending);
        var length = 0;
        // Methods are short; binary shows itself in the first bytes. The bound keeps a slow trickle of a long line
        // from being rescanned whole on every read.
        while (length < MethodScanLimit && reader.TryRead(out var b))
        {
            if (b == HttpChars.Space && length > 0)
            {
                return;
            }
            if (!HttpChars.IsTokenChar(b))
            {
                throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Malformed request line");
            }
            length++;
        }
    }

    private RequestHead ParseComplete(in ReadOnlySequence<byte> headBytes, RequestHead? reuse)
    {
        if (headBytes.IsSingleSegment)
        {
            return ParseLines(headBytes.FirstSpan, reuse);
        }
        var length = (int)headBytes.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var span = rented.AsSpan(0, length);
            headBytes.CopyTo(span);
            return ParseLines(span, reuse);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private RequestHead ParseLines(ReadOnlySpan<byte> head, RequestHead? reuse)
    {
        var lineEnd = head.IndexOf(HttpChars.LF);
        var (method, target, version) = ParseRequestLine(TrimCr(head[..lineEnd]), reuse?.Target);
        head = head[(lineEnd + 1)..];

        var headers = reuse?.Headers ?? new RequestHeaders();
        headers.Clear();
        while (true)
        {
            lineEnd = head.IndexOf(HttpChars.LF);
            var line = TrimCr(head[..lineEnd]);
            head = head[(lineEnd + 1)..];
            if (line.IsEmpty)
            {
                break;
            }
            if (headers.Count == _limits.MaxHeaderFields)
            {
                throw new HttpRequestRejectedException(HttpStatus.RequestHeaderFieldsTooLarge, "Too many header fields");
            }
            ParseFieldLine(line, headers);
        }

        var (framing, contentLength) = RequestFraming.Determine(version, headers);
        if (reuse is null)
        {
            return new RequestHead(method, target, version, headers, framing, contentLength);
        }
        reuse.Reset(method, target, version, framing, contentLength);
        return reuse;
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line)
    {
        if (!line.IsEmpty && line[^1] == HttpChars.CR)
        {
            line = line[..^1];
        }
        // A bare CR anywhere else is not a line terminator and not allowed in a field (RFC 9112 §2.2).
        if (line.Contains(HttpChars.CR))
        {
            throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Bare CR in request head");
        }
        return line;
    }

    // request-line = method SP request-target SP HTTP-version (RFC 9112 §3)
    private static (string Method, string Target, HttpProtocolVersion Version) ParseRequestLine(ReadOnlySpan<byte> line, string? previousTarget)
    {
        var firstSpace = line.IndexOf(HttpChars.Space);
        var lastSpace = line.LastIndexOf(HttpChars.Space);
        if (firstSpace <= 0 || lastSpace == firstSpace)
        {
            throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Malformed request line");
        }
        var method = line[..firstSpace];
        var target = line[(firstSpace + 1)..lastSpace];
        var version = line[(lastSpace + 1)..];
        if (!HttpChars.IsToken(method))
        {
            throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Malformed method");
        }
        if (target.IsEmpty)
        {
            throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Empty request target");
        }
        foreach (var b in target)
        {
            if (!HttpChars.IsTargetChar(b))
            {
                throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Invalid character in request target");
            }
        }
        // A keep-alive client often asks for the same target again: keep the previous string then.
        var targetText = previousTarget is not null && Ascii.Equals(target, previousTarget) ? previousTarget : Encoding.ASCII.GetString(target);
        return (KnownTokens.Method(method), targetText, ParseVersion(version));
    }

    // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3)
    private static HttpProtocolVersion ParseVersion(ReadOnlySpan<byte> version)
    {
        if (version.Length != 8 || !version.StartsWith("HTTP/"u8) || version[6] != (byte)'.' ||
            !char.IsAsciiDigit((char)version[5]) || !char.IsAsciiDigit((char)version[7]))
        {
            throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Malformed HTTP version");
        }
        if (version[5] != (byte)'1')
        {
            throw new HttpRequestRejectedException(HttpStatus.HttpVersionNotSupported, "Only HTTP/1.x is supported");
        }
        // A higher 1.x minor version is served as HTTP/1.1, the highest we speak (RFC 9110 §2.5).
        return version[7] == (byte)'0' ? HttpProtocolVersion.Http10 : HttpProtocolVersion.Http11;
    }

    // field-line = field-name ":" OWS field-value OWS (RFC 9112 §5)
    private static void ParseFieldLine(ReadOnlySpan<byte> line, RequestHeaders headers)
    {
        if (line[0] == HttpChars.Space || line[0] == HttpChars.Tab)
        {
            // obs-fold: RFC 9112 §5.2 lets a server reject it with 400.
            throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Obsolete line folding");
        }
        var colon = line.IndexOf(HttpChars.Colon);
        if (colon <= 0 || !HttpChars.IsToken(line[..colon]))
        {
            // This also catches whitespace between name and colon, which RFC 9112 §5.1 says to reject.
            throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Malformed header field");
        }
        var value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (var b in value)
        {
            if (!HttpChars.IsFieldValueChar(b))
            {
                throw new HttpRequestRejectedException(HttpStatus.BadRequest, "Invalid character in header value");
            }
        }
        headers.Add(KnownTokens.FieldName(line[..colon]), value);
    }
}
