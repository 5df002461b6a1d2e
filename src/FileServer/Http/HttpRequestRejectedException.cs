namespace FileServer.Http;

/// <summary>
/// A request the server refuses to process: it carries the status to answer with and a short reason for
/// the body. Such a request always ends the connection, because the framing that follows it cannot be trusted.
/// </summary>
internal sealed class HttpRequestRejectedException : Exception
{
    /// <summary>Creates a rejection with the status to send and a short human-readable reason.</summary>
    public HttpRequestRejectedException(int status, string reason) : base(reason)
    {
        Status = status;
    }

    /// <summary>The HTTP status code to answer with (4xx or 505).</summary>
    public int Status { get; }
}
