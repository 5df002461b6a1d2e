namespace FileServer.Http;

/// <summary>A parsed and framing-checked request head (RFC 9112 §2–§6).</summary>
internal sealed class RequestHead
{
    /// <summary>Creates a request head from its parsed parts.</summary>
    public RequestHead(string method, string target, HttpProtocolVersion version, RequestHeaders headers, RequestBodyFraming bodyFraming, long contentLength)
    {
        Method = method;
        Target = target;
        Version = version;
        Headers = headers;
        BodyFraming = bodyFraming;
        ContentLength = contentLength;
    }

    /// <summary>Refills this head for the next request on the same connection (the headers are refilled by the parser).</summary>
    internal void Reset(string method, string target, HttpProtocolVersion version, RequestBodyFraming bodyFraming, long contentLength)
    {
        Method = method;
        Target = target;
        Version = version;
        BodyFraming = bodyFraming;
        ContentLength = contentLength;
    }

    /// <summary>The method token, case-sensitive as RFC 9110 §9.1 says.</summary>
    public string Method { get; private set; }

    /// <summary>The request-target exactly as received.</summary>
    public string Target { get; private set; }

    /// <summary>The protocol version of the request.</summary>
    public HttpProtocolVersion Version { get; private set; }

    /// <summary>The header fields.</summary>
    public RequestHeaders Headers { get; }

    /// <summary>How the request body (if any) is delimited.</summary>
    public RequestBodyFraming BodyFraming { get; private set; }

    /// <summary>The body length when <see cref="BodyFraming"/> is <see cref="RequestBodyFraming.ContentLength"/>; otherwise 0.</summary>
    public long ContentLength { get; private set; }

    /// <summary>
    /// Whether the client lets the connection persist after this exchange (RFC 9112 §9.3): HTTP/1.1 unless it
    /// sent <c>Connection: close</c>; HTTP/1.0 only with <c>Connection: keep-alive</c>.
    /// </summary>
    public bool ClientWantsKeepAlive => Version == HttpProtocolVersion.Http11
        ? !Headers.ListContains("Connection", "close")
        : Headers.ListContains("Connection", "keep-alive") && !Headers.ListContains("Connection", "close");

    /// <summary>
    /// Whether the client waits for a <c>100 (Continue)</c> before it sends the content (RFC 9110 §10.1.1); an
    /// HTTP/1.0 request's expectation is ignored, as that section requires.
    /// </summary>
    public bool ExpectsContinue => Version == HttpProtocolVersion.Http11 && Headers.ListContains("Expect", "100-continue");

    /// <summary>The version as written on the wire, e.g. <c>HTTP/1.1</c>.</summary>
    public string VersionText => Version == HttpProtocolVersion.Http11 ? "HTTP/1.1" : "HTTP/1.0";
}
