using System.Net;
using FileServer.Http;
using FileServer.Serving;
using Microsoft.Extensions.Logging;

namespace FileServer.Hosting;

/// <summary>
/// The access log of one connection: a line per response, including responses cut short mid-body (with the bytes
/// that left) and the 4xx answers to requests that never parsed.
/// </summary>
/// <remarks>Behind a trusted proxy (<paramref name="proxies"/> set), the client is the one the proxy names.</remarks>
internal sealed class AccessLog(ILogger log, TimeProvider clock, EndPoint? peer, TrustedProxies? proxies = null)
{
    private static readonly EventId AccessEvent = new(2, "Access");
    private string? _peerName;

    /// <summary>
    /// The peer's address as logs write it (<c>-</c> when unknown), formatted when first asked: a connection that
    /// writes no line (the access log off, nothing wrong) never formats it.
    /// </summary>
    public string Client => _peerName ??= peer?.ToString() ?? "-";

    /// <summary>The TLS version of the connection, once its handshake is done; null on plain TCP.</summary>
    public string? Tls { get; set; }

    /// <summary>Logs the response to <paramref name="request"/>, begun at the timestamp <paramref name="started"/>.</summary>
    public void Response(RequestHead request, long started, int status, long bodyBytes, BodyPath bodyPath)
    {
        if (log.IsEnabled(LogLevel.Information))
        {
            var elapsed = clock.GetElapsedTime(started);
            var headers = request.Headers;
            Write(new AccessRecord(ClientOf(request), clock.GetUtcNow() - elapsed, request.Method, request.Target, request.VersionText, status,
                bodyBytes, (long)elapsed.TotalMilliseconds, BodyPathName(bodyPath), headers.GetCombined("Referer"),
                headers.GetCombined("User-Agent"), headers.GetCombined("Range"), Tls));
        }
    }

    /// <summary>The client of <paramref name="request"/>: the peer, or the client a trusted proxy names.</summary>
    public string ClientOf(RequestHead request) => proxies?.ClientOf(request.Headers) ?? Client;

    /// <summary>Logs an error answer to a request whose head could not be read.</summary>
    public void Unparsed(int status, long bodyBytes)
    {
        if (log.IsEnabled(LogLevel.Information))
        {
            Write(new AccessRecord(Client, clock.GetUtcNow(), "-", "-", "-", status, bodyBytes, 0, BodyPathName(BodyPath.None), null, null, null, Tls));
        }
    }

    private void Write(AccessRecord record) => log.Log(LogLevel.Information, AccessEvent, record, null, AccessRecord.Format);

    /// <summary>The body path as the access log names it.</summary>
    public static string BodyPathName(BodyPath path) => path switch
    {
        BodyPath.SendFile => "sendfile",
        BodyPath.Copy => "copy",
        _ => "none",
    };
}
