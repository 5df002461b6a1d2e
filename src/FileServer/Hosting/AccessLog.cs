using FileServer.Http;
using FileServer.Serving;
using Microsoft.Extensions.Logging;

namespace FileServer.Hosting;

/// <summary>
/// The access log of one connection: a line per response, including responses cut short mid-body (with the bytes
/// that left) and the 4xx answers to requests that never parsed.
/// </summary>
internal sealed class AccessLog(ILogger log, TimeProvider clock, string client)
{
    /// <summary>Logs the response to <paramref name="request"/>, begun at the timestamp <paramref name="started"/>.</summary>
    public void Response(RequestHead request, long started, int status, long bodyBytes, BodyPath bodyPath)
    {
        if (log.IsEnabled(LogLevel.Information))
        {
            var elapsed = clock.GetElapsedTime(started);
            ServerLog.Access(log, client, request.Method, request.Target, request.VersionText, status,
                bodyBytes, (long)elapsed.TotalMilliseconds, BodyPathName(bodyPath));
        }
    }

    /// <summary>Logs an error answer to a request whose head could not be read.</summary>
    public void Unparsed(int status, long bodyBytes) =>
        ServerLog.Access(log, client, "-", "-", "-", status, bodyBytes, 0, BodyPathName(BodyPath.None));

    /// <summary>The body path as the access log names it.</summary>
    public static string BodyPathName(BodyPath path) => path switch
    {
        BodyPath.SendFile => "sendfile",
        BodyPath.Copy => "copy",
        _ => "none",
    };
}
