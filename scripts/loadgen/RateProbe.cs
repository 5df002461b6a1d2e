using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace LoadGen;

/// <summary>
/// One GET read as fast as possible for a fixed window after the response head (or until the body ends):
/// the rate a per-connection limit lets through.
/// </summary>
internal static class RateProbe
{
    public static async Task<int> RunAsync(Target target, Args args)
    {
        var seconds = args.Double("seconds", 10, 0.1, 86_400);
        var timeout = TimeSpan.FromSeconds(args.Double("timeout", 10, 0.1, 3600));
        args.EnsureAllUsed();
        Watchdog.Arm(timeout * 2 + TimeSpan.FromSeconds(seconds + 30));

        using var socket = await target.ConnectAsync(timeout);
        var buffer = new byte[256 * 1024];
        var head = new HeadReader();
        long body = 0;
        using (var cts = new CancellationTokenSource(timeout))
        {
            await socket.SendAsync(target.Request(), SocketFlags.None, cts.Token);
            while (!head.Complete)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (read == 0 || head.TooLong)
                {
                    Report.Put("error", read == 0 ? "eof-before-head" : "head-too-long");
                    return 1;
                }
                body += read - head.Feed(buffer.AsSpan(0, read));
            }
        }

        // The window starts when the head is complete; bytes that came with it count at time zero.
        var clock = Stopwatch.StartNew();
        var perSecond = new List<long> { body };
        var ended = "window";
        using (var window = new CancellationTokenSource(TimeSpan.FromSeconds(seconds)))
        {
            try
            {
                while (head.ContentLength < 0 || body < head.ContentLength)
                {
                    var read = await socket.ReceiveAsync(buffer, SocketFlags.None, window.Token);
                    if (read == 0)
                    {
                        ended = "eof";
                        break;
                    }
                    var second = (int)clock.Elapsed.TotalSeconds;
                    while (perSecond.Count <= second)
                    {
                        perSecond.Add(0);
                    }
                    perSecond[second] += read;
                    body += read;
                }
                if (ended == "window")
                {
                    ended = "body-complete";
                }
            }
            catch (OperationCanceledException)
            {
                ended = "window";
            }
            catch (SocketException e)
            {
                ended = e.SocketErrorCode.ToString();
            }
        }
        var elapsed = Math.Min(clock.Elapsed.TotalSeconds, seconds);
        var afterFirst = body - perSecond[0];

        Report.Put("status", head.Status);
        Report.Put("content_length", head.ContentLength);
        Report.Put("ended", ended);
        Report.Put("body_bytes", body);
        Report.Put("window_seconds", elapsed);
        Report.Put("bytes_per_second", elapsed > 0 ? body / elapsed : 0);
        Report.Put("steady_bytes_per_second", elapsed > 1 ? afterFirst / (elapsed - 1) : double.NaN);
        Report.Put("per_second", string.Join(',', perSecond.Select(b => b.ToString(CultureInfo.InvariantCulture))));
        return 0;
    }
}
