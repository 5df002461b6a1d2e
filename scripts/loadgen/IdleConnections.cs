using System.Net.Sockets;

namespace LoadGen;

/// <summary>
/// Opens N keep-alive connections, makes one GET on each (whole response read), then holds them all idle for
/// S seconds: what the server keeps per idle connection. Prints "holding=N" once every connection is idle,
/// so a script can sample the server's memory during the hold.
/// </summary>
internal static class IdleConnections
{
    public static async Task<int> RunAsync(Target target, Args args)
    {
        var clients = args.Int("clients", 10_000, 1, 100_000);
        var seconds = args.Double("seconds", 10, 0.1, 3600);
        var timeout = TimeSpan.FromSeconds(args.Double("connect-timeout", 10, 0.1, 600));
        args.EnsureAllUsed();
        Watchdog.Arm(TimeSpan.FromSeconds(seconds) + (timeout * 3) + TimeSpan.FromSeconds(120));

        var request = target.Request();
        var sockets = new Socket?[clients];
        var ok = 0;
        var failed = 0;
        using var gate = new SemaphoreSlim(200);

        async Task OpenAsync(int index)
        {
            await gate.WaitAsync();
            try
            {
                var socket = await target.ConnectAsync(timeout);
                sockets[index] = socket;
                await socket.SendAsync(request);
                var head = new HeadReader();
                var buffer = new byte[8192];
                long body = 0;
                while (true)
                {
                    var read = await socket.ReceiveAsync(buffer);
                    if (read == 0)
                    {
                        throw new IOException("closed before the response ended");
                    }
                    var used = head.Complete ? 0 : head.Feed(buffer.AsSpan(0, read));
                    body += read - used;
                    if (head.Complete && body >= head.ContentLength)
                    {
                        break;
                    }
                }
                if (head.Status == 200)
                {
                    Interlocked.Increment(ref ok);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
            catch (Exception e) when (Errors.IsNetwork(e) || e is IOException)
            {
                Interlocked.Increment(ref failed);
            }
            finally
            {
                gate.Release();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, clients).Select(OpenAsync));
        Report.Put("connected", sockets.Count(s => s is not null));
        Report.Put("ok", ok);
        Report.Put("failed", failed);
        Report.Put("holding", ok);
        await Console.Out.FlushAsync();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var stillOpen = sockets.Count(s => s is { Connected: true } && !(s.Poll(0, SelectMode.SelectRead) && s.Available == 0));
        Report.Put("still_open_after_hold", stillOpen);
        foreach (var socket in sockets)
        {
            socket?.Dispose();
        }
        return 0;
    }
}
