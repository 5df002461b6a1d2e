using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;

namespace LoadGen;

/// <summary>
/// Ordinary GETs over keep-alive connections, checked: status 200, exactly Content-Length body bytes, and the
/// SHA-256 of the body when one is given. A connection is reopened after "Connection: close" or a failure.
/// An https:// URL is fetched over TLS (<see cref="TlsTrust"/>: --ca FILE, else any certificate).
/// </summary>
internal static class Download
{
    private sealed class Tally
    {
        public int Ok;
        public int Failed;
        public int Retries;
        public int ConnectionsOpened;
        public long BodyBytes;
        public ConcurrentQueue<string> Errors { get; } = new();
    }

    private sealed class Connection(Stream stream) : IDisposable
    {
        /// <summary>A NetworkStream, or an SslStream over one; either owns the socket.</summary>
        public Stream Stream { get; } = stream;

        public int Served { get; set; }

        public void Dispose() => Stream.Dispose();
    }

    public static async Task<int> RunAsync(Target target, Args args)
    {
        var count = args.Int("count", 100, 1, 10_000_000);
        var concurrency = args.Int("concurrency", 4, 1, 10_000);
        var expected = args.Text("sha256")?.Trim().ToLowerInvariant();
        var timeout = TimeSpan.FromSeconds(args.Double("timeout", 120, 0.1, 86_400));
        var timeLimit = args.Double("time-limit", 600, 0.1, 86_400);
        var trust = TlsTrust.FromArgs(args);
        args.EnsureAllUsed();
        if (expected is not null && (expected.Length != 64 || !expected.All(Uri.IsHexDigit)))
        {
            throw new UsageException("--sha256 needs 64 hex digits");
        }
        using var run = new RequestRun(count, timeLimit, timeout);
        var deadline = run.Deadline;
        var request = target.Request();
        var tally = new Tally();

        async Task WorkerAsync()
        {
            var buffer = new byte[256 * 1024];
            Connection? connection = null;
            try
            {
                while (run.TryTake(out _))
                {
                    var retried = false;
                    while (true)
                    {
                        var reused = connection is not null;
                        string? error;
                        try
                        {
                            if (connection is null)
                            {
                                connection = new Connection((await target.OpenAsync(timeout, trust, 0, deadline.Token)).Stream);
                                Interlocked.Increment(ref tally.ConnectionsOpened);
                            }
                            (error, var keep, var anyByte) = await GetAsync(connection, request, expected, buffer, timeout, tally, deadline.Token);
                            if (!keep || error is not null)
                            {
                                connection.Dispose();
                                connection = null;
                            }
                            // A kept-alive connection the server closed before answering: retry once on a new one.
                            if (error is not null && reused && !anyByte && !retried)
                            {
                                retried = true;
                                Interlocked.Increment(ref tally.Retries);
                                continue;
                            }
                        }
                        catch (Exception e) when (Errors.IsNetwork(e))
                        {
                            error = "connect:" + Errors.Kind(e);
                            connection?.Dispose();
                            connection = null;
                        }
                        if (error is null)
                        {
                            Interlocked.Increment(ref tally.Ok);
                        }
                        else
                        {
                            Interlocked.Increment(ref tally.Failed);
                            tally.Errors.Enqueue(error);
                        }
                        break;
                    }
                }
            }
            finally
            {
                connection?.Dispose();
            }
        }

        await RequestRun.RunAsync(concurrency, WorkerAsync);
        var seconds = run.Clock.Elapsed.TotalSeconds;
        var notRun = count - tally.Ok - tally.Failed;

        Report.Put("count", count);
        Report.Put("ok", tally.Ok);
        Report.Put("failed", tally.Failed + notRun);
        Report.Put("not_run", notRun);
        Report.Put("retries", tally.Retries);
        Report.Put("connections_opened", tally.ConnectionsOpened);
        Report.Put("body_bytes", tally.BodyBytes);
        Report.Put("seconds", seconds);
        Report.Put("mib_per_second", seconds > 0 ? tally.BodyBytes / seconds / (1024 * 1024) : 0);
        Report.Put("errors", Report.Tally(tally.Errors));
        return tally.Failed + notRun == 0 ? 0 : 1;
    }

    /// <summary>One request on <paramref name="connection"/>: (error or null, keep the connection, any response byte seen).</summary>
    private static async Task<(string? Error, bool Keep, bool AnyByte)> GetAsync(Connection connection, byte[] request, string? expected,
        byte[] buffer, TimeSpan timeout, Tally tally, CancellationToken deadline)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(deadline);
        cts.CancelAfter(timeout);
        var head = new HeadReader();
        using var hash = expected is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long body = 0;
        try
        {
            await connection.Stream.WriteAsync(request, cts.Token);
            while (true)
            {
                var want = buffer.Length;
                if (head.Complete && head.ContentLength >= 0)
                {
                    if (body >= head.ContentLength)
                    {
                        break;
                    }
                    want = (int)Math.Min(want, head.ContentLength - body);
                }
                var read = await connection.Stream.ReadAsync(buffer.AsMemory(0, want), cts.Token);
                if (read == 0)
                {
                    return (head.Started ? $"eof-after-{body}-body-bytes" : "eof-before-response", false, head.Started);
                }
                var span = buffer.AsSpan(0, read);
                if (!head.Complete)
                {
                    var used = head.Feed(span);
                    span = span[used..];
                    if (head.TooLong)
                    {
                        return ("head-too-long", false, true);
                    }
                    if (!head.Complete)
                    {
                        continue;
                    }
                    if (head.Status != 200)
                    {
                        return ($"status-{head.Status}", false, true);
                    }
                    if (head.ContentLength < 0 || head.Chunked)
                    {
                        return ("no-content-length", false, true);
                    }
                }
                if (span.Length > head.ContentLength - body)
                {
                    return ("bytes-past-content-length", false, true);
                }
                hash?.AppendData(span);
                body += span.Length;
                Interlocked.Add(ref tally.BodyBytes, span.Length);
            }
        }
        catch (Exception e) when (Errors.IsNetwork(e))
        {
            return ((head.Started ? "body:" : "head:") + Errors.Kind(e), false, head.Started);
        }
        if (hash is not null)
        {
            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actual != expected)
            {
                return ("sha256-mismatch", false, true);
            }
        }
        connection.Served++;
        return (null, !head.ConnectionClose, true);
    }
}
