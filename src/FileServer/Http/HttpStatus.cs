namespace FileServer.Http;

/// <summary>The status codes this server sends, with their RFC 9110 §15 reason phrases.</summary>
internal static class HttpStatus
{
    /// <summary>200 OK.</summary>
    public const int Ok = 200;
    /// <summary>204 No Content.</summary>
    public const int NoContent = 204;
    /// <summary>206 Partial Content.</summary>
    public const int PartialContent = 206;
    /// <summary>301 Moved Permanently.</summary>
    public const int MovedPermanently = 301;
    /// <summary>304 Not Modified.</summary>
    public const int NotModified = 304;
    /// <summary>400 Bad Request.</summary>
    public const int BadRequest = 400;
    /// <summary>403 Forbidden.</summary>
    public const int Forbidden = 403;
    /// <summary>404 Not Found.</summary>
    public const int NotFound = 404;
    /// <summary>405 Method Not Allowed.</summary>
    public const int MethodNotAllowed = 405;
    /// <summary>408 Request Timeout.</summary>
    public const int RequestTimeout = 408;
    /// <summary>412 Precondition Failed.</summary>
    public const int PreconditionFailed = 412;
    /// <summary>414 URI Too Long.</summary>
    public const int UriTooLong = 414;
    /// <summary>416 Range Not Satisfiable.</summary>
    public const int RangeNotSatisfiable = 416;
    /// <summary>431 Request Header Fields Too Large.</summary>
    public const int RequestHeaderFieldsTooLarge = 431;
    /// <summary>500 Internal Server Error.</summary>
    public const int InternalServerError = 500;
    /// <summary>501 Not Implemented.</summary>
    public const int NotImplemented = 501;
    /// <summary>503 Service Unavailable.</summary>
    public const int ServiceUnavailable = 503;
    /// <summary>505 HTTP Version Not Supported.</summary>
    public const int HttpVersionNotSupported = 505;

    /// <summary>The reason phrase for <paramref name="status"/>, or an empty string for codes we never send.</summary>
    public static string ReasonPhrase(int status) => status switch
    {
        Ok => "OK",
        NoContent => "No Content",
        PartialContent => "Partial Content",
        MovedPermanently => "Moved Permanently",
        NotModified => "Not Modified",
        BadRequest => "Bad Request",
        Forbidden => "Forbidden",
        NotFound => "Not Found",
        MethodNotAllowed => "Method Not Allowed",
        RequestTimeout => "Request Timeout",
        PreconditionFailed => "Precondition Failed",
        UriTooLong => "URI Too Long",
        RangeNotSatisfiable => "Range Not Satisfiable",
        RequestHeaderFieldsTooLarge => "Request Header Fields Too Large",
        InternalServerError => "Internal Server Error",
        NotImplemented => "Not Implemented",
        ServiceUnavailable => "Service Unavailable",
        HttpVersionNotSupported => "HTTP Version Not Supported",
        _ => string.Empty,
    };
}
