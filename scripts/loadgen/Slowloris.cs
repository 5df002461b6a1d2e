using System.Collections.Concurrent;
using System.Text;
using System.Net.Sockets;

namespace LoadGen;

/// <summary>
/// Connections that send a request head one byte per interval and never finish it. Records, per connection,
/// when the server answered (e.g. 408) and when it closed (EOF or RST), relative to the connect time.
/// </summary>
internal static class Slowloris
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);

    private sealed class Connection(Socket socket, double connectedAt)
    {
        private readonly byte[] _first = new byte[32];
        private int _firstLength;

        public Socket Socket { get; } = socket;

        public double ConnectedAt { get; } = connectedAt;

        public int Sent { get; set; }

        public bool SendFailed { get; set; }

        public double? ResponseAt { get; private set; }

        public double? ClosedAt { get; private set; }

        public string? How { get; private set; }

        private volatile bool _closed;

        public bool Closed => _closed;

        public string Status
        {
            get
            {
                var line = Encoding.Latin1.GetString(_first, 0, _firstLength).Split(' ');
                return line.Length >= 2 && line[0].StartsWith("HTTP/", StringComparison.Ordinal) ? line[1] : "?";
            }
        }

        public void Received(ReadOnlySpan<byte> data, double now)
        {
            ResponseAt ??= now;
            var take = Math.Min(data.Length, _first.Length - _firstLength);
            data[..take].CopyTo(_first.AsSpan(_firstLength));
            _firstLength += take;
        }

        public void Close(double now, string how)
        {
            ClosedAt = now;
            How = how;
            _closed = true;
        }
    }

    public static async Task<int> RunAsync(Target target, Args args)
    {
        var clients = args.Int("clients", 500, 1, 200_000);
        var interval = TimeSpan.FromMilliseconds(args.Int("interval-ms", 2000, 1, 3_600_000));
        var seconds = args.Double("seconds", 30, 0, 86_400);
        var rampSeconds = args.Double("ramp-seconds", 1, 0, 600);
        var connectTimeout = TimeSpan.FromSeconds(args.Double("connect-timeout", 10, 0.1, 600));
        args.EnsureAllUsed();
        var ramp = new Ramp<Connection>(clients, rampSeconds, seconds, connectTimeout);
        var clock = ramp.Clock;

        // "GET /path HTTP/1.1\r\nHost: h\r\nX-a: b" and then "\r\nX-a: b" forever: never an empty line.
        var prefix = Encoding.ASCII.GetBytes($"GET {target.PathAndQuery} HTTP/1.1\r\nHost: {target.Authority}\r\nX-a: b");
        var filler = "\r\nX-a: b"u8.ToArray();
        byte ByteAt(int position) => position < prefix.Length ? prefix[position] : filler[(position - prefix.Length) % filler.Length];

        using var stop = new CancellationTokenSource();
        var receivers = new ConcurrentBag<Task>();
        var connectErrors = new ConcurrentBag<string>();

        async Task ReceiveAsync(Connection connection)
        {
            var buffer = new byte[4096];
            try
            {
                while (true)
                {
                    var read = await connection.Socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                    if (read == 0)
                    {
                        connection.Close(clock.Elapsed.TotalSeconds, "eof");
                        return;
                    }
                    connection.Received(buffer.AsSpan(0, read), clock.Elapsed.TotalSeconds);
                }
            }
            catch (OperationCanceledException)
            {
                // Still open when the run ended.
            }
            catch (Exception e) when (Errors.IsNetwork(e))
            {
                connection.Close(clock.Elapsed.TotalSeconds, e is SocketException { SocketErrorCode: SocketError.ConnectionReset } ? "rst" : Errors.Kind(e));
            }
        }

        async Task<Connection?> ConnectOneAsync()
        {
            try
            {
                var socket = await target.ConnectAsync(connectTimeout);
                var connection = new Connection(socket, clock.Elapsed.TotalSeconds);
                SendNext(connection, ByteAt);
                receivers.Add(ReceiveAsync(connection));
                return connection;
            }
            catch (Exception e) when (Errors.IsNetwork(e))
            {
                connectErrors.Add(Errors.Kind(e));
                return null;
            }
        }

        await ramp.RunAsync(Tick, ConnectOneAsync, (connection, now) =>
        {
            if (!connection.Closed && !connection.SendFailed && now >= connection.ConnectedAt + (connection.Sent * interval.TotalSeconds))
            {
                SendNext(connection, ByteAt);
            }
        });
        var active = ramp.Active;
        await stop.CancelAsync();
        await Task.WhenAny(Task.WhenAll(receivers), Task.Delay(TimeSpan.FromSeconds(5)));
        foreach (var connection in active)
        {
            connection.Socket.Dispose();
        }

        var closed = active.Where(c => c.Closed).ToList();
        var responded = active.Where(c => c.ResponseAt is not null).ToList();
        Report.Put("clients", clients);
        Report.Put("connected", active.Count);
        Report.Put("connect_failures", connectErrors.Count);
        Report.Put("connect_errors", Report.Tally(connectErrors));
        Report.Put("ramp_seconds", ramp.RampDone);
        Report.Put("closed_by_server", closed.Count);
        Report.Put("close_kinds", Report.Tally(closed.Select(c => c.How!)));
        Report.Put("responded", responded.Count);
        Report.Put("statuses", Report.Tally(responded.Select(c => c.Status)));
        Report.Put("still_open", active.Count - closed.Count);
        Report.Put("send_failures", active.Count(c => c.SendFailed));
        Report.Put("bytes_sent_avg", active.Count == 0 ? 0 : active.Average(c => c.Sent));
        Report.Distribution("close_seconds", closed.Select(c => c.ClosedAt!.Value - c.ConnectedAt));
        Report.Distribution("response_seconds", responded.Select(c => c.ResponseAt!.Value - c.ConnectedAt));
        return 0;
    }

    private static void SendNext(Connection connection, Func<int, byte> byteAt)
    {
        ReadOnlySpan<byte> one = [byteAt(connection.Sent)];
        try
        {
            connection.Socket.Send(one, SocketFlags.None);
            connection.Sent++;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // EPIPE/ECONNRESET: the server is gone; the receive loop records how and when.
            connection.SendFailed = true;
        }
    }
}
