using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;

namespace LoadGen;

/// <summary>
/// Many connections that each read slowly: what bounds a server's memory per connection. One shared
/// 250 ms tick reads at most rate/4 bytes from every connection (non-blocking: only what is queued).
/// </summary>
internal static class SlowReaders
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    private sealed class Client(Socket socket, double joinedAt)
    {
        public Socket Socket { get; } = socket;

        /// <summary>Seconds since the start when the request was sent: reading starts then.</summary>
        public double JoinedAt { get; } = joinedAt;

        public HeadReader Head { get; } = new();

        public long Bytes { get; set; }

        public long BodyBytes { get; set; }

        /// <summary>Null while open; "eof", "reset" or another socket error once the server ended it.</summary>
        public string? End { get; set; }
    }

    public static async Task<int> RunAsync(Args args)
    {
        var target = Target.Parse(args.Required("url"));
        var clients = args.Int("clients", 1000, 1, 200_000);
        var rate = args.Size("rate", 16 * 1024, 4, 1L << 30);
        var seconds = args.Double("seconds", 20, 0, 86_400);
        var receiveBuffer = (int)args.Size("rcvbuf", 16 * 1024, 0, 256L << 20);
        var ramp = args.Double("ramp-seconds", 2, 0, 600);
        var connectTimeout = TimeSpan.FromSeconds(args.Double("connect-timeout", 10, 0.1, 600));
        args.EnsureAllUsed();
        var rampBound = ramp + connectTimeout.TotalSeconds + 5;
        Watchdog.Arm(TimeSpan.FromSeconds(rampBound + seconds + 30));

        var quantum = (int)Math.Clamp(rate / 4, 1, int.MaxValue);
        var request = target.Request();
        var joined = new ConcurrentQueue<Client>();
        var connectErrors = new ConcurrentBag<string>();
        var clock = Stopwatch.StartNew();

        async Task ConnectOneAsync(int index)
        {
            var delay = ramp * index / clients;
            if (delay > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(delay));
            }
            Socket? socket = null;
            try
            {
                socket = await target.ConnectAsync(connectTimeout, receiveBuffer);
                await socket.SendAsync(request, SocketFlags.None);
                joined.Enqueue(new Client(socket, clock.Elapsed.TotalSeconds));
            }
            catch (Exception e) when (Errors.IsNetwork(e))
            {
                socket?.Dispose();
                connectErrors.Add(Errors.Kind(e));
            }
        }

        var connects = new Task[clients];
        for (var i = 0; i < clients; i++)
        {
            connects[i] = ConnectOneAsync(i);
        }
        var allConnected = Task.WhenAll(connects);

        var active = new List<Client>(clients);
        var buffer = new byte[Math.Clamp(quantum, 4096, 1 << 20)];
        double? rampDone = null;
        using (var timer = new PeriodicTimer(Tick))
        {
            while (true)
            {
                while (joined.TryDequeue(out var client))
                {
                    active.Add(client);
                }
                var now = clock.Elapsed.TotalSeconds;
                if (rampDone is null && (allConnected.IsCompleted || now > rampBound))
                {
                    rampDone = now;
                }
                if (rampDone is not null && now >= rampDone + seconds)
                {
                    break;
                }
                foreach (var client in active)
                {
                    if (client.End is null)
                    {
                        ReadSome(client, quantum, buffer);
                    }
                }
                await timer.WaitForNextTickAsync();
            }
        }
        var endedAt = clock.Elapsed.TotalSeconds;
        var readSeconds = endedAt - rampDone!.Value;

        // Connects still running are bounded by their timeout; whatever joins late is counted and closed too.
        await Task.WhenAny(allConnected, Task.Delay(connectTimeout + TimeSpan.FromSeconds(2)));
        while (joined.TryDequeue(out var late))
        {
            active.Add(late);
        }
        foreach (var client in active)
        {
            client.Socket.Dispose();
        }

        var connected = active.Count;
        var head200 = active.Count(c => c.Head.Complete && c.Head.Status == 200);
        var headOther = active.Count(c => c.Head.Complete && c.Head.Status != 200);
        var noHead = active.Count(c => !c.Head.Complete);
        var noByte = active.Count(c => c.Bytes == 0);
        var ended = active.Where(c => c.End is not null).Select(c => c.End!).ToList();
        var totalBytes = active.Sum(c => c.Bytes);
        var bodyBytes = active.Sum(c => c.BodyBytes);
        var failures = connectErrors.Count + headOther + noHead + ended.Count;

        Report.Put("clients", clients);
        Report.Put("connected", connected);
        Report.Put("connect_failures", connectErrors.Count);
        Report.Put("connect_errors", Report.Tally(connectErrors));
        Report.Put("ramp_seconds", rampDone.Value);
        Report.Put("read_seconds", readSeconds);
        Report.Put("head_200", head200);
        Report.Put("head_other", headOther);
        Report.Put("no_head", noHead);
        Report.Put("no_byte", noByte);
        Report.Put("ended_by_server", ended.Count);
        Report.Put("ended_kinds", Report.Tally(ended));
        Report.Put("bytes_total", totalBytes);
        Report.Put("body_bytes_total", bodyBytes);
        Report.Put("bytes_per_client_avg", connected == 0 ? 0 : totalBytes / connected);
        Report.Put("bytes_per_client_min", connected == 0 ? 0 : active.Min(c => c.Bytes));
        Report.Put("bytes_per_client_max", connected == 0 ? 0 : active.Max(c => c.Bytes));
        // What rate/4 per tick allows in the time each client was reading, averaged.
        Report.Put("bytes_per_client_expected", connected == 0 ? 0 : (long)active.Average(c => rate * Math.Max(0, endedAt - c.JoinedAt)));
        Report.Put("failures", failures);
        return 0;
    }

    /// <summary>Reads what is queued, up to <paramref name="quantum"/> bytes, without blocking.</summary>
    private static void ReadSome(Client client, int quantum, byte[] buffer)
    {
        var budget = quantum;
        try
        {
            while (budget > 0)
            {
                var available = client.Socket.Available;
                if (available == 0)
                {
                    // Readable with nothing queued means EOF or an error, which the 1-byte receive tells apart.
                    if (!client.Socket.Poll(0, SelectMode.SelectRead))
                    {
                        return;
                    }
                    available = 1;
                }
                var read = client.Socket.Receive(buffer, 0, Math.Min(Math.Min(budget, available), buffer.Length), SocketFlags.None);
                if (read == 0)
                {
                    client.End = "eof";
                    return;
                }
                client.Bytes += read;
                var head = client.Head.Feed(buffer.AsSpan(0, read));
                client.BodyBytes += read - head;
                budget -= read;
            }
        }
        catch (SocketException e)
        {
            client.End = e.SocketErrorCode == SocketError.ConnectionReset ? "reset" : e.SocketErrorCode.ToString();
        }
    }
}
