using System.Diagnostics;
using System.Net.Sockets;

namespace LoadGen;

/// <summary>
/// A reader that stops: one GET, N bytes read, then no more reads while the socket stays open. Measures how
/// long the server takes to drop the connection (a send timeout).
/// </summary>
/// <remarks>
/// Reading would un-stall the connection, so the drop is detected without reading: every 50 ms the TCP state
/// (getsockopt TCP_INFO) and SO_ERROR are checked, and every probe interval two bytes ("\r\n", an empty line
/// that a server ignores before a request line) are sent. A server that closes its socket with unsent body
/// bytes queued cannot deliver its FIN (the window is zero), but the kernel answers the next probe — or the
/// close itself, when probe bytes sit unread in the server's receive queue — with an RST, which moves this
/// socket to CLOSE. A graceful FIN (CLOSE_WAIT) counts as a drop too.
/// </remarks>
internal static class Stalled
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    public static async Task<int> RunAsync(Target target, Args args)
    {
        var readBytes = args.Size("read-bytes", 1024 * 1024, 0, 1L << 40);
        var seconds = args.Double("seconds", 20, 0, 86_400);
        var receiveBuffer = (int)args.Size("rcvbuf", 0, 0, 256L << 20);
        var probe = TimeSpan.FromMilliseconds(args.Int("probe-ms", 200, 10, 60_000));
        var timeout = TimeSpan.FromSeconds(args.Double("timeout", 30, 0.1, 3600));
        args.EnsureAllUsed();
        Watchdog.Arm(timeout * 2 + TimeSpan.FromSeconds(seconds + 30));

        using var socket = await target.ConnectAsync(timeout, receiveBuffer);
        var head = new HeadReader();
        long received = 0;
        using (var cts = new CancellationTokenSource(timeout))
        {
            await socket.SendAsync(target.Request(), SocketFlags.None, cts.Token);
            var buffer = new byte[64 * 1024];
            while (received < readBytes)
            {
                var read = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, readBytes - received)), SocketFlags.None, cts.Token);
                if (read == 0)
                {
                    Report.Put("read_bytes", received);
                    Report.Put("status", head.Status);
                    Report.Put("dropped", "before-stall");
                    Report.Put("error", "the server closed before read-bytes were read (body too small?)");
                    return 1;
                }
                head.Feed(buffer.AsSpan(0, read));
                received += read;
            }
        }

        var clock = Stopwatch.StartNew();
        var queued = SafeAvailable(socket);
        var lastGrowth = 0.0;
        var nextProbe = TimeSpan.Zero;
        var probes = 0;
        string? how = null;
        double droppedAt = double.NaN;
        using (var timer = new PeriodicTimer(Poll))
        {
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                var now = clock.Elapsed;
                var available = SafeAvailable(socket);
                if (available > queued)
                {
                    queued = available;
                    lastGrowth = now.TotalSeconds;
                }
                var state = TcpInfo.State(socket);
                if (state > 0 && state != TcpInfo.Established)
                {
                    how = "state-" + TcpInfo.Name(state);
                }
                else if (SocketError(socket) is { } error)
                {
                    how = "so_error-" + error;
                }
                else if (now >= nextProbe)
                {
                    nextProbe = now + probe;
                    try
                    {
                        socket.Send("\r\n"u8, SocketFlags.None);
                        probes++;
                    }
                    catch (SocketException e)
                    {
                        how = "probe-" + e.SocketErrorCode;
                    }
                }
                if (how is not null)
                {
                    droppedAt = clock.Elapsed.TotalSeconds;
                    break;
                }
                await timer.WaitForNextTickAsync();
            }
        }

        Report.Put("read_bytes", received);
        Report.Put("status", head.Status);
        Report.Put("content_length", head.ContentLength);
        Report.Put("queued_bytes", queued);
        Report.Put("window_full_after_seconds", lastGrowth);
        Report.Put("probes", probes);
        Report.Put("dropped", how is null ? "no" : "yes");
        Report.Put("how", how ?? "-");
        Report.Put("seconds_after_stop", droppedAt);
        Report.Put("seconds_after_window_full", droppedAt - lastGrowth);
        Report.Put("waited_seconds", clock.Elapsed.TotalSeconds);
        if (how is null)
        {
            Console.Error.WriteLine($"loadgen: not closed within {seconds}s");
        }
        return 0;
    }

    private static int SafeAvailable(Socket socket)
    {
        try
        {
            return socket.Available;
        }
        catch (SocketException)
        {
            return 0;
        }
    }

    private static string? SocketError(Socket socket)
    {
        try
        {
            var code = (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
            return code == 0 ? null : ((System.Net.Sockets.SocketError)code).ToString();
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode.ToString();
        }
    }
}
