namespace FileServer.Http;

/// <summary>The HTTP/1.x versions this server speaks (RFC 9112 §2.3).</summary>
internal enum HttpProtocolVersion
{
    /// <summary>HTTP/1.0: connections close unless the client asks for keep-alive.</summary>
    Http10,
    /// <summary>HTTP/1.1: connections persist unless either side says <c>close</c>.</summary>
    Http11,
}
