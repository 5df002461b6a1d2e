using System.Diagnostics;
using System.Diagnostics.Metrics;
using FileServer.Serving;

namespace FileServer.Hosting;

/// <summary>Why a transfer ended before its last byte.</summary>
internal enum AbortCause
{
    /// <summary>The client closed or reset the connection.</summary>
    ClientGone,
    /// <summary>The client accepted no byte for the send timeout.</summary>
    SendTimeout,
    /// <summary>The server stopped and the grace period ran out.</summary>
    Shutdown,
    /// <summary>The file shrank (or changed) under the response.</summary>
    Truncated,
}

/// <summary>
/// The server's instruments, on a <see cref="Meter"/> named <see cref="MeterName"/> (so <c>dotnet-counters monitor
/// --counters FileServer</c> shows them with no code of ours): requests by method and status class, bytes by body
/// path, active connections and transfers, aborted transfers by cause, time to first byte and response duration,
/// open-file-cache hits and misses. One per host: two servers in one process have two meters.
/// </summary>
internal sealed class ServerMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "FileServer";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _bytes;
    private readonly UpDownCounter<long> _connections;
    private readonly UpDownCounter<long> _transfers;
    private readonly Counter<long> _aborted;
    private readonly Histogram<double> _firstByte;
    private readonly Histogram<double> _duration;

    /// <summary>Creates the meter and its instruments; <paramref name="files"/>' hits and misses are observed when read.</summary>
    public ServerMetrics(Func<OpenFileCache?> files)
    {
        _meter = new Meter(MeterName, typeof(ServerMetrics).Assembly.GetName().Version?.ToString());
        _requests = _meter.CreateCounter<long>("fileserver.requests", "{request}", "Responses sent, by method and status class");
        _bytes = _meter.CreateCounter<long>("fileserver.sent", "By", "Body bytes sent, by body path (sendfile, copy, tls)");
        _connections = _meter.CreateUpDownCounter<long>("fileserver.connections.active", "{connection}", "Connections open now");
        _transfers = _meter.CreateUpDownCounter<long>("fileserver.transfers.active", "{transfer}", "Response bodies being sent now");
        _aborted = _meter.CreateCounter<long>("fileserver.transfers.aborted", "{transfer}", "Response bodies ended early, by cause");
        _firstByte = _meter.CreateHistogram<double>("fileserver.time_to_first_byte", "s", "From the request's head to its response's head being queued");
        _duration = _meter.CreateHistogram<double>("fileserver.response.duration", "s", "From the request's head to the response's last byte handed to the kernel");
        _meter.CreateObservableCounter("fileserver.open_file_cache.hits", () => files()?.Hits ?? 0, "{open}", "Opens answered from the open-file cache");
        _meter.CreateObservableCounter("fileserver.open_file_cache.misses", () => files()?.Misses ?? 0, "{open}", "Opens that opened the file");
    }

    /// <summary>A connection opened (+1) or closed (-1).</summary>
    public void Connection(int delta) => _connections.Add(delta);

    /// <summary>A response body started (+1) or ended (-1).</summary>
    public void Transfer(int delta) => _transfers.Add(delta);

    /// <summary>A transfer ended early for <paramref name="cause"/>.</summary>
    public void Aborted(AbortCause cause) => _aborted.Add(1, new KeyValuePair<string, object?>("cause", cause switch
    {
        AbortCause.ClientGone => "client_gone",
        AbortCause.SendTimeout => "send_timeout",
        AbortCause.Shutdown => "shutdown",
        _ => "truncated",
    }));

    /// <summary>Records one response: its counts, bytes and times.</summary>
    public void Response(string method, int status, long bodyBytes, string bodyPath, bool tls, TimeSpan firstByte, TimeSpan duration)
    {
        var tags = new TagList { { "method", KnownMethod(method) }, { "status_class", StatusClass(status) } };
        _requests.Add(1, tags);
        if (bodyBytes > 0)
        {
            _bytes.Add(bodyBytes, new KeyValuePair<string, object?>("body_path", tls ? "tls" : bodyPath == "sendfile" ? "sendfile" : "copy"));
        }
        _firstByte.Record(firstByte.TotalSeconds);
        _duration.Record(duration.TotalSeconds);
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    // A bounded set of tag values: a client inventing methods must not grow the series without end.
    private static string KnownMethod(string method) =>
        method is "GET" or "HEAD" or "OPTIONS" or "POST" or "PUT" or "DELETE" or "PATCH" or "CONNECT" or "TRACE" ? method : "other";

    private static string StatusClass(int status) => status switch
    {
        < 200 => "1xx",
        < 300 => "2xx",
        < 400 => "3xx",
        < 500 => "4xx",
        _ => "5xx",
    };
}
