using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;

namespace LoadGen;

/// <summary>
/// Requests abandoned at random points — before the response, inside the head, inside the body — and closed
/// either gracefully (shutdown, then close) or with an RST (SO_LINGER 0). Reproducible from the seed.
/// </summary>
internal static class AbortStorm
{
    private sealed class Tally
    {
        public int Started;
        public int Completed;
        public int BeforeResponse;
        public int MidHead;
        public int MidBody;
        public int ResetCloses;
        public int GracefulCloses;
        public int Status200;
        public int StatusOther;
        public long Bytes;
        public ConcurrentBag<string> Errors { get; } = [];
    }

    public static async Task<int> RunAsync(Target target, Args args)
    {
        var requests = args.Int("requests", 10_000, 1, 10_000_000);
        var concurrency = args.Int("concurrency", 100, 1, 10_000);
        var maxBytes = args.Size("max-bytes", 1024 * 1024, 0, 1L << 40);
        var seed = args.Int("seed", 1, 0, int.MaxValue);
        var timeLimit = args.Double("time-limit", 300, 0.1, 86_400);
        var timeout = TimeSpan.FromSeconds(args.Double("timeout", 10, 0.1, 3600));
        args.EnsureAllUsed();
        using var run = new RequestRun(requests, timeLimit, timeout);
        var request = target.Request();
        var tally = new Tally();

        async Task WorkerAsync()
        {
            var buffer = new byte[64 * 1024];
            while (run.TryTake(out var index))
            {
                Interlocked.Increment(ref tally.Started);
                await OneAsync(target, request, index, seed, maxBytes, timeout, buffer, tally, run.Deadline.Token);
            }
        }

        await RequestRun.RunAsync(concurrency, WorkerAsync);
        var elapsed = run.Clock.Elapsed.TotalSeconds;

        Report.Put("requests", requests);
        Report.Put("started", tally.Started);
        Report.Put("completed", tally.Completed);
        Report.Put("errors", tally.Errors.Count);
        Report.Put("error_kinds", Report.Tally(tally.Errors));
        Report.Put("closed_before_response", tally.BeforeResponse);
        Report.Put("closed_mid_head", tally.MidHead);
        Report.Put("closed_mid_body", tally.MidBody);
        Report.Put("rst_closes", tally.ResetCloses);
        Report.Put("graceful_closes", tally.GracefulCloses);
        Report.Put("status_200", tally.Status200);
        Report.Put("status_other", tally.StatusOther);
        Report.Put("bytes_total", tally.Bytes);
        Report.Put("seconds", elapsed);
        Report.Put("requests_per_second", elapsed > 0 ? tally.Started / elapsed : 0);
        Report.Put("time_limit_hit", run.Deadline.IsCancellationRequested && tally.Started < requests ? "yes" : "no");
        return 0;
    }

    private static async Task OneAsync(Target target, byte[] request, int index, int seed, long maxBytes, TimeSpan timeout,
        byte[] buffer, Tally tally, CancellationToken deadline)
    {
        var random = new Random(unchecked((seed * 1_000_003) + index));
        var draw = random.Next(10);
        var wanted = draw switch
        {
            0 => 0,
            1 => random.NextInt64(1, Math.Max(2, Math.Min(maxBytes, 160) + 1)),
            _ => random.NextInt64(0, maxBytes + 1),
        };
        var reset = index % 2 == 1;

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(deadline);
        cts.CancelAfter(timeout);
        Socket socket;
        try
        {
            socket = await target.ConnectAsync(timeout, 0, cts.Token);
        }
        catch (Exception e) when (Errors.IsNetwork(e))
        {
            tally.Errors.Add("connect:" + Errors.Kind(e));
            return;
        }

        var head = new HeadReader();
        long received = 0;
        string? error = null;
        try
        {
            await socket.SendAsync(request, SocketFlags.None, cts.Token);
            while (received < wanted)
            {
                var read = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, wanted - received)), SocketFlags.None, cts.Token);
                if (read == 0)
                {
                    error = "server-eof";
                    break;
                }
                head.Feed(buffer.AsSpan(0, read));
                received += read;
            }
        }
        catch (Exception e) when (Errors.IsNetwork(e))
        {
            error = "read:" + Errors.Kind(e);
        }
        finally
        {
            Close(socket, reset);
        }

        Interlocked.Add(ref tally.Bytes, received);
        Interlocked.Increment(ref reset ? ref tally.ResetCloses : ref tally.GracefulCloses);
        if (received == 0)
        {
            Interlocked.Increment(ref tally.BeforeResponse);
        }
        else if (!head.Complete)
        {
            Interlocked.Increment(ref tally.MidHead);
        }
        else
        {
            Interlocked.Increment(ref tally.MidBody);
            Interlocked.Increment(ref head.Status == 200 ? ref tally.Status200 : ref tally.StatusOther);
        }
        if (error is null)
        {
            Interlocked.Increment(ref tally.Completed);
        }
        else
        {
            tally.Errors.Add(error);
        }
    }

    /// <summary>
    /// RST: SO_LINGER 0 then close. Graceful: shutdown (FIN) then close — Linux still follows with an RST when
    /// unread response bytes are queued, which is what a browser closing a tab does too.
    /// </summary>
    private static void Close(Socket socket, bool reset)
    {
        try
        {
            if (reset)
            {
                socket.LingerState = new LingerOption(true, 0);
            }
            else
            {
                socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (SocketException)
        {
            // Already reset by the server: closing is all that is left.
        }
        socket.Dispose();
    }
}
