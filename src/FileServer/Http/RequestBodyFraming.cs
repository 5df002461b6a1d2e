namespace FileServer.Http;

/// <summary>How a request's body is delimited (RFC 9112 §6.3).</summary>
internal enum RequestBodyFraming
{
    /// <summary>No body.</summary>
    None,
    /// <summary>A body of exactly <c>Content-Length</c> bytes.</summary>
    ContentLength,
    /// <summary>A chunked body: this server does not read it and closes the connection after answering.</summary>
    Chunked,
}
