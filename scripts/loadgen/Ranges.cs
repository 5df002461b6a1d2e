using System.Diagnostics;
using System.Text;

namespace LoadGen;

/// <summary>
/// Random range requests and resumes over keep-alive connections, every body byte compared with the file
/// (--file, the same bytes the server serves): single ranges "a-b", suffixes "-n", and open-ended resumes "a-"
/// as curl -C and wget -c send them. Counts 206s whose bytes are right, wrong bytes, and other failures.
/// </summary>
internal static class Ranges
{
    public static async Task<int> RunAsync(Target target, Args args)
    {
        var file = await File.ReadAllBytesAsync(args.Required("file"));
        var count = args.Int("count", 1000, 1, 10_000_000);
        var concurrency = args.Int("concurrency", 2, 1, 1000);
        var seed = args.Int("seed", 1, 0, int.MaxValue);
        var timeLimit = args.Double("time-limit", 300, 0.1, 86_400);
        var trust = TlsTrust.FromArgs(args);
        args.EnsureAllUsed();
        if (file.Length < 2)
        {
            throw new UsageException("--file needs at least 2 bytes");
        }
        Watchdog.Arm(TimeSpan.FromSeconds(timeLimit + 60));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(timeLimit));
        long ok = 0, wrong = 0, failed = 0, bytes = 0;
        var next = -1;
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var clock = Stopwatch.StartNew();

        async Task WorkerAsync(int worker)
        {
            var random = new Random(seed + worker);
            var buffer = new byte[64 * 1024];
            Stream? stream = null;
            try
            {
                while (!deadline.IsCancellationRequested && Interlocked.Increment(ref next) < count)
                {
                    var (field, start, length) = NextRange(random, file.Length);
                    try
                    {
                        stream ??= (await target.OpenAsync(TimeSpan.FromSeconds(10), trust, 0, deadline.Token)).Stream;
                        var request = $"GET {target.PathAndQuery} HTTP/1.1\r\nHost: {target.Authority}\r\nRange: bytes={field}\r\n\r\n";
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), deadline.Token);
                        var (status, keep, right, received) = await ReadAsync(stream, buffer, file, start, length, deadline.Token);
                        Interlocked.Add(ref bytes, received);
                        if (status != 206)
                        {
                            Interlocked.Increment(ref failed);
                            errors.Enqueue($"status-{status}");
                        }
                        else if (right)
                        {
                            Interlocked.Increment(ref ok);
                        }
                        else
                        {
                            Interlocked.Increment(ref wrong);
                            errors.Enqueue($"wrong-bytes:{field}");
                        }
                        if (!keep)
                        {
                            await stream.DisposeAsync();
                            stream = null;
                        }
                    }
                    catch (Exception e) when (Errors.IsNetwork(e) || e is IOException)
                    {
                        Interlocked.Increment(ref failed);
                        errors.Enqueue(Errors.Kind(e));
                        stream?.Dispose();
                        stream = null;
                    }
                }
            }
            finally
            {
                stream?.Dispose();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(() => WorkerAsync(w))));
        Report.Put("requests", ok + wrong + failed);
        Report.Put("ok", ok);
        Report.Put("wrong_bytes", wrong);
        Report.Put("failed", failed);
        Report.Put("errors", Report.Tally(errors));
        Report.Put("body_bytes", bytes);
        Report.Put("seconds", clock.Elapsed.TotalSeconds);
        return 0;
    }

    // A third each: "a-b" inside the file, "-n" (the last n bytes), "a-" (a resume from a).
    private static (string Field, long Start, long Length) NextRange(Random random, long size)
    {
        var a = random.NextInt64(size);
        switch (random.Next(3))
        {
            case 0:
                var b = Math.Min(size - 1, a + random.NextInt64(1, 4 * 1024 * 1024));
                return ($"{a}-{b}", a, b - a + 1);
            case 1:
                var n = random.NextInt64(1, Math.Min(size, 4 * 1024 * 1024) + 1);
                return ($"-{n}", size - n, n);
            default:
                return ($"{a}-", a, size - a);
        }
    }

    private static async Task<(int Status, bool Keep, bool Right, long Received)> ReadAsync(
        Stream stream, byte[] buffer, byte[] file, long start, long length, CancellationToken cancellationToken)
    {
        long body = 0;
        var right = true;
        var head = await ResponseReader.ReadAsync(stream, buffer, (data, head) =>
        {
            if (head.Status == 206 && (head.ContentLength != length
                || (right && body + data.Length <= length && !data.SequenceEqual(file.AsSpan((int)(start + body), data.Length)))))
            {
                right = false;
            }
            body += data.Length;
        }, cancellationToken);
        return (head.Status, !head.ConnectionClose, right && body == head.ContentLength, body);
    }
}
