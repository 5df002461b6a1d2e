using FileServer.Http;
using FileServer.Transport;

namespace FileServer.Serving;

/// <summary>One request being answered, as every handler sees it.</summary>
/// <param name="Request">The request head.</param>
/// <param name="Transport">The connection the response goes out on.</param>
/// <param name="KeepAlive">Whether the response may promise to keep the connection open.</param>
/// <param name="Progress">Where a handler records the response once its body starts, for a caller whose send fails.</param>
internal readonly record struct Exchange(RequestHead Request, ITransport Transport, bool KeepAlive, ResponseProgress Progress)
{
    /// <summary>Whether the request asks for the head only.</summary>
    public bool IsHead => Request.Method == "HEAD";
}
