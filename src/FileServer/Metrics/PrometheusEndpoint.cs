using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FileServer.Metrics;

/// <summary>
/// <c>--metrics-port N</c>: <c>GET /metrics</c> on 127.0.0.1 in the Prometheus text format, from a listener of its
/// own, so scrapes never take a connection slot, a descriptor budget or a log line from the file server, and no web
/// framework is loaded for one resource. One request per connection, read within 5 s and 8 KiB; anything but
/// <c>GET</c>/<c>HEAD /metrics</c> gets 404 or 405.
/// </summary>
internal sealed class PrometheusEndpoint : IAsyncDisposable
{
    private const int MaxHead = 8 * 1024;
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

    private readonly Socket _listener;
    private readonly Func<string> _render;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> (0 picks one) and answers with <paramref name="render"/>'s text.</summary>
    /// <exception cref="SocketException">The port cannot be bound.</exception>
    public PrometheusEndpoint(int port, Func<string> render)
    {
        _render = render;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        _listener.Listen(64);
        Address = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}/metrics");
        _loop = AcceptAsync();
    }

    /// <summary>Where the metrics are served, as text (the command line prints it without loading <see cref="Uri"/>).</summary>
    public string Address { get; }

    /// <summary>Where the metrics are served.</summary>
    public Uri Url => new(Address);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }
                continue;
            }
            _ = AnswerAsync(client);
        }
    }

    private async Task AnswerAsync(Socket client)
    {
        using var _ = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(ReadTimeout);
        try
        {
            var head = await ReadHeadAsync(client, timeout.Token).ConfigureAwait(false);
            var requestLine = head?.Split("\r\n", 2)[0].Split(' ') ?? [];
            var (status, body) = requestLine switch
            {
                [var method, var target, _] when target.Split('?')[0] == "/metrics" && method is "GET" or "HEAD" =>
                    ("200 OK", method == "GET" ? _render() : ""),
                [_, var target, _] when target.Split('?')[0] == "/metrics" => ("405 Method Not Allowed", "405 Method Not Allowed\n"),
                [_, _, _] => ("404 Not Found", "404 Not Found: only /metrics is served here\n"),
                _ => ("400 Bad Request", "400 Bad Request\n"),
            };
            var length = status == "200 OK" && requestLine[0] == "HEAD" ? Encoding.UTF8.GetByteCount(_render()) : Encoding.UTF8.GetByteCount(body);
            var response = $"HTTP/1.1 {status}\r\nContent-Type: {(status == "200 OK" ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8")}\r\n" +
                $"Content-Length: {length}\r\nConnection: close\r\n\r\n{body}";
            await client.SendAsync(Encoding.UTF8.GetBytes(response), timeout.Token).ConfigureAwait(false);
            client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // A scraper that stalls or leaves: its connection ends, nothing else is affected.
        }
    }

    private static async Task<string?> ReadHeadAsync(Socket client, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxHead];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await client.ReceiveAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }
            filled += read;
            var text = Encoding.Latin1.GetString(buffer, 0, filled);
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                return text;
            }
        }
        return null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
