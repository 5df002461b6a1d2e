using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;

namespace LoadGen;

/// <summary>
/// Many connections that each read slowly: what bounds a server's memory per connection. One shared
/// 250 ms tick reads at most rate/4 bytes from every connection (non-blocking: only what is queued).
/// Over TLS (an https:// URL) a socket's queue is ciphertext, so the tick instead starts one asynchronous read
/// of at most rate/4 plaintext bytes per connection, unless the one from an earlier tick is still waiting for
/// data: the same rate bound (SslStream takes whole records, up to 16 KiB, off the socket at a time).
/// --verify FILE compares every body byte with FILE (the body of a 200 is FILE from offset 0).
/// </summary>
internal static class SlowReaders
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    private sealed class Client(Socket socket, SslStream? tls, double joinedAt)
    {
        private volatile string? _end;

        public Socket Socket { get; } = socket;

        /// <summary>The TLS stream over <see cref="Socket"/> (which it owns), or null for plain HTTP.</summary>
        public SslStream? Tls { get; } = tls;

        /// <summary>TLS only: the read started by a tick, until it completes.</summary>
        public Task? Pending { get; set; }

        /// <summary>Set before the run closes the connection: errors after that are ours, not the server's.</summary>
        public volatile bool Closing;

        /// <summary>Body offset of the first byte that differs from the --verify file, or -1.</summary>
        public long FirstWrong { get; set; } = -1;

        /// <summary>Seconds since the start when the request was sent: reading starts then.</summary>
        public double JoinedAt { get; } = joinedAt;

        public HeadReader Head { get; } = new();

        public long Bytes { get; set; }

        public long BodyBytes { get; set; }

        /// <summary>Null while open; "eof", "reset" or another socket error once the server ended it.</summary>
        public string? End { get => _end; set => _end = value; }

        public void Close()
        {
            Closing = true;
            if (Tls is not null)
            {
                Tls.Dispose();
            }
            else
            {
                Socket.Dispose();
            }
        }
    }

    public static async Task<int> RunAsync(Target target, Args args)
    {
        var clients = args.Int("clients", 1000, 1, 200_000);
        var rate = args.Size("rate", 16 * 1024, 4, 1L << 30);
        var seconds = args.Double("seconds", 20, 0, 86_400);
        var receiveBuffer = (int)args.Size("rcvbuf", 16 * 1024, 0, 256L << 20);
        var rampSeconds = args.Double("ramp-seconds", 2, 0, 600);
        var connectTimeout = TimeSpan.FromSeconds(args.Double("connect-timeout", 10, 0.1, 600));
        var trust = TlsTrust.FromArgs(args);
        var verifyPath = args.Text("verify");
        args.EnsureAllUsed();
        byte[]? expected = null;
        if (verifyPath is not null)
        {
            try
            {
                expected = await File.ReadAllBytesAsync(verifyPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"--verify: cannot read '{verifyPath}': {e.Message}");
            }
        }
        var ramp = new Ramp<Client>(clients, rampSeconds, seconds, connectTimeout);
        var quantum = (int)Math.Clamp(rate / 4, 1, int.MaxValue);
        var request = target.Request();
        var connectErrors = new ConcurrentBag<string>();

        async Task<Client?> ConnectOneAsync()
        {
            Stream? stream = null;
            try
            {
                // Connect and, over TLS, the handshake: within the connect timeout.
                (var socket, stream) = await target.OpenAsync(connectTimeout, trust, receiveBuffer);
                await stream.WriteAsync(request);
                return new Client(socket, stream as SslStream, ramp.Clock.Elapsed.TotalSeconds);
            }
            catch (Exception e) when (Errors.IsNetwork(e))
            {
                if (stream is not null)
                {
                    await stream.DisposeAsync();
                }
                connectErrors.Add(Errors.Kind(e));
                return null;
            }
        }

        var buffer = new byte[Math.Clamp(quantum, 4096, 1 << 20)];
        await ramp.RunAsync(Tick, ConnectOneAsync, (client, _) =>
        {
            if (client.End is not null)
            {
                return;
            }
            if (client.Tls is null)
            {
                ReadSome(client, quantum, buffer, expected);
            }
            else if (client.Pending is null || client.Pending.IsCompleted)
            {
                client.Pending = ReadSomeTlsAsync(client, quantum, expected);
            }
        });
        var active = ramp.Active;
        var endedAt = ramp.Ended;
        var readSeconds = endedAt - ramp.RampDone;

        var tlsInfo = active.Select(c => c.Tls).FirstOrDefault(t => t is not null) is { } first
            ? $"{first.SslProtocol} {first.NegotiatedCipherSuite}"
            : "-";
        foreach (var client in active)
        {
            client.Close();
        }
        // TLS reads still waiting end with the close (ObjectDisposedException or IOException): bounded wait.
        await Task.WhenAny(Task.WhenAll(active.Select(c => c.Pending ?? Task.CompletedTask)), Task.Delay(TimeSpan.FromSeconds(5)));

        var connected = active.Count;
        var head200 = active.Count(c => c.Head.Complete && c.Head.Status == 200);
        var headOther = active.Count(c => c.Head.Complete && c.Head.Status != 200);
        var noHead = active.Count(c => !c.Head.Complete);
        var noByte = active.Count(c => c.Bytes == 0);
        var ended = active.Where(c => c.End is not null).Select(c => c.End!).ToList();
        var totalBytes = active.Sum(c => c.Bytes);
        var bodyBytes = active.Sum(c => c.BodyBytes);
        var wrong = active.Where(c => c.FirstWrong >= 0).ToList();
        var failures = connectErrors.Count + headOther + noHead + ended.Count + wrong.Count;

        Report.Put("tls", target.Tls ? tlsInfo : "no");
        Report.Put("clients", clients);
        Report.Put("connected", connected);
        Report.Put("connect_failures", connectErrors.Count);
        Report.Put("connect_errors", Report.Tally(connectErrors));
        Report.Put("ramp_seconds", ramp.RampDone);
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
        Report.Put("verified", expected is null ? "no" : "yes");
        Report.Put("wrong_body_clients", wrong.Count);
        Report.Put("wrong_body_first_offset", wrong.Count == 0 ? "-" : wrong.Min(c => c.FirstWrong).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Report.Put("failures", failures);
        return 0;
    }

    /// <summary>Reads what is queued, up to <paramref name="quantum"/> bytes, without blocking.</summary>
    private static void ReadSome(Client client, int quantum, byte[] buffer, byte[]? expected)
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
                Account(client, buffer.AsSpan(0, read), expected);
                budget -= read;
            }
        }
        catch (SocketException e)
        {
            client.End = e.SocketErrorCode == SocketError.ConnectionReset ? "reset" : e.SocketErrorCode.ToString();
        }
    }

    /// <summary>TLS: reads up to <paramref name="quantum"/> plaintext bytes, waiting for them as needed.</summary>
    private static async Task ReadSomeTlsAsync(Client client, int quantum, byte[]? expected)
    {
        var buffer = new byte[Math.Min(quantum, 16 * 1024)];
        var budget = quantum;
        try
        {
            while (budget > 0)
            {
                var read = await client.Tls!.ReadAsync(buffer.AsMemory(0, Math.Min(budget, buffer.Length)));
                if (read == 0)
                {
                    if (!client.Closing)
                    {
                        client.End = "eof";
                    }
                    return;
                }
                Account(client, buffer.AsSpan(0, read), expected);
                budget -= read;
            }
        }
        catch (Exception e) when (Errors.IsNetwork(e))
        {
            if (!client.Closing)
            {
                client.End = e is IOException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionReset } } ? "reset" : Errors.Kind(e);
            }
        }
    }

    /// <summary>Counts received bytes, feeds the head, and checks body bytes of a 200 against the --verify file.</summary>
    private static void Account(Client client, ReadOnlySpan<byte> data, byte[]? expected)
    {
        client.Bytes += data.Length;
        var body = data[client.Head.Feed(data)..];
        if (expected is not null && client.FirstWrong < 0 && !body.IsEmpty && client.Head.Complete && client.Head.Status == 200)
        {
            var offset = client.BodyBytes;
            var available = offset >= expected.Length ? 0 : (int)Math.Min(body.Length, expected.Length - offset);
            var same = body[..available].CommonPrefixLength(expected.AsSpan((int)Math.Min(offset, expected.Length), available));
            if (same < body.Length)
            {
                client.FirstWrong = offset + same;
            }
        }
        client.BodyBytes += body.Length;
    }
}
