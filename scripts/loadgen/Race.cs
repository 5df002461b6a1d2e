using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace LoadGen;

/// <summary>
/// The symlink race of issue 20, from outside: while keep-alive clients GET --url, the names --swap and --with
/// (paths on the server's disk, one a real entry inside the root, the other a link that leads out) change places
/// atomically (renameat2 RENAME_EXCHANGE), as fast as the kernel allows. A body containing --outside-marker is an
/// escape; the server must answer only the file inside or a refusal.
/// </summary>
internal static partial class Race
{
    public static async Task<int> RunAsync(Target target, Args args)
    {
        var swap = args.Required("swap");
        var with = args.Required("with");
        var marker = Encoding.UTF8.GetBytes(args.Required("outside-marker"));
        var clients = args.Int("clients", 4, 1, 1000);
        var seconds = args.Double("seconds", 10, 0.1, 86_400);
        args.EnsureAllUsed();
        Watchdog.Arm(TimeSpan.FromSeconds(seconds + 60));

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        long inside = 0, outside = 0, refused = 0, failed = 0;
        var swapper = Task.Factory.StartNew(() => Swap(swap, with, deadline.Token), TaskCreationOptions.LongRunning);
        var request = target.Request();
        var clock = Stopwatch.StartNew();

        async Task ClientAsync()
        {
            var buffer = new byte[64 * 1024];
            while (!deadline.IsCancellationRequested)
            {
                try
                {
                    using var socket = await target.ConnectAsync(TimeSpan.FromSeconds(10), 0, deadline.Token);
                    using var stream = new System.Net.Sockets.NetworkStream(socket, ownsSocket: false);
                    while (!deadline.IsCancellationRequested)
                    {
                        await stream.WriteAsync(request, deadline.Token);
                        var (status, body, keep) = await ReadAsync(stream, buffer, deadline.Token);
                        if (status == 200)
                        {
                            Interlocked.Increment(ref body.AsSpan().IndexOf(marker) >= 0 ? ref outside : ref inside);
                        }
                        else if (status is >= 400 and < 500)
                        {
                            Interlocked.Increment(ref refused);
                        }
                        else
                        {
                            Interlocked.Increment(ref failed);
                        }
                        if (!keep)
                        {
                            break;
                        }
                    }
                }
                catch (Exception e) when ((Errors.IsNetwork(e) || e is IOException) && !deadline.IsCancellationRequested)
                {
                    Interlocked.Increment(ref failed);
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested)
                {
                    break;
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(ClientAsync)));
        var swaps = await swapper;
        Report.Put("requests", inside + outside + refused + failed);
        Report.Put("inside", inside);
        Report.Put("outside", outside);
        Report.Put("refused", refused);
        Report.Put("failed", failed);
        Report.Put("swaps", swaps);
        Report.Put("seconds", clock.Elapsed.TotalSeconds);
        return 0;
    }

    private static async Task<(int Status, byte[] Body, bool Keep)> ReadAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var body = new MemoryStream();
        var head = await ResponseReader.ReadAsync(stream, buffer, (data, _) => body.Write(data), cancellationToken);
        return (head.Status, body.ToArray(), !head.ConnectionClose);
    }

    // An even number of exchanges leaves the tree as it was.
    private static long Swap(string a, string b, CancellationToken stop)
    {
        long swaps = 0;
        while (!stop.IsCancellationRequested || swaps % 2 == 1)
        {
            if (renameat2(AtCurrentDirectory, a, AtCurrentDirectory, b, RenameExchange) != 0)
            {
                throw new IOException($"renameat2({a}, {b}, RENAME_EXCHANGE) failed: errno {Marshal.GetLastPInvokeError()}");
            }
            swaps++;
        }
        return swaps;
    }

    private const int AtCurrentDirectory = -100;
    private const uint RenameExchange = 2;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int renameat2(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);
}
