using System.Net.Sockets;
using System.Text;
using FileServer.Platform;
using FileServer.Tests.Support;

namespace FileServer.Tests.Cli;

/// <summary>
/// Where the command line's server does a request's work, from the CPU time of its threads in /proc: with a few
/// connections open, on the socket engine's thread (an event loop, no hand-off per request); with more open than
/// <see cref="FileServer.Transport.ReadResumption.DefaultInlineUpTo"/>, on the thread pool's workers.
/// </summary>
[NonParallelizable]
public sealed class EventLoopTests
{
    // Enough requests for a few hundred milliseconds of server CPU: tens of clock ticks to attribute.
    private const int Requests = 20_000;

    [Test]
    public async Task WithFewConnections_RequestsAreAnsweredOnTheEngineThread()
    {
        using var tree = new TempTree();
        using var server = StartServer(tree);

        var (engine, workers) = await CpuWhileAnsweringAsync(server, idleConnections: 0);

        Assert.That(engine, Is.GreaterThan(workers * 2), $"engine {engine} ticks, pool workers {workers} ticks");
    }

    [Test]
    public async Task WithManyConnectionsOpen_RequestsAreAnsweredOnThePool()
    {
        using var tree = new TempTree();
        using var server = StartServer(tree);

        var (engine, workers) = await CpuWhileAnsweringAsync(server, idleConnections: 40);

        Assert.That(workers, Is.GreaterThan(engine), $"engine {engine} ticks, pool workers {workers} ticks");
    }

    [Test]
    public async Task NewConnections_AreAnsweredOnTheEngineThreads_WhereTheyAreAccepted()
    {
        using var tree = new TempTree();
        using var server = StartServer(tree);
        var buffer = new byte[4096];
        await CloseAfterOneAsync(server.Port, buffer);

        var before = ThreadTicks(server.Id);
        for (var i = 0; i < NewConnections; i++)
        {
            await CloseAfterOneAsync(server.Port, buffer);
        }
        var after = ThreadTicks(server.Id);

        var (engine, workers) = (after.Engine - before.Engine, after.Workers - before.Workers);
        Assert.That(engine, Is.GreaterThan(workers * 2), $"engine {engine} ticks, pool workers {workers} ticks");
    }

    [Test]
    public async Task WithFewConnections_AZeroCopyDownloadStaysOnTheEngineThreads()
    {
        using var tree = new TempTree();
        using var server = StartServer(tree);
        // A sparse file: its pages come from the holes, without disk reads, and the first download puts them in the
        // page cache, so the measured one has no cold slice (a cold slice resumes from the disk warmer's thread).
        using (var big = File.Create(tree.PathOf("root/big.bin")))
        {
            big.SetLength(DownloadSize);
        }
        Assert.That(await DownloadAsync(server.Port), Is.EqualTo(DownloadSize));

        var before = ThreadTicks(server.Id);
        var received = await DownloadAsync(server.Port);
        var after = ThreadTicks(server.Id);

        Assert.That(received, Is.EqualTo(DownloadSize));
        var (engine, workers) = (after.Engine - before.Engine, after.Workers - before.Workers);
        Assert.That(engine, Is.GreaterThan(workers * 2), $"engine {engine} ticks, pool workers {workers} ticks");
    }

    // Large enough that the socket fills many times (each slice's send waits and resumes) and for tens of clock ticks.
    private const long DownloadSize = 768L << 20;

    // One download on a new connection that asks to close, read to the close: the body's byte count.
    private static async Task<long> DownloadAsync(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        var buffer = new byte[1 << 20];
        long total = 0;
        long headEnd = -1;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            if (headEnd < 0)
            {
                // The head is in the first read (the server sends it before the body, in one segment).
                var end = buffer.AsSpan(0, read).IndexOf("\r\n\r\n"u8);
                Assert.That(end, Is.GreaterThan(0), "the head in the first read");
                Assert.That(Encoding.ASCII.GetString(buffer, 0, end), Does.StartWith("HTTP/1.1 200 "));
                headEnd = total + end + 4;
            }
            total += read;
        }
        return total - headEnd;
    }

    [Test]
    public void EachEngineThread_HasADescriptorOfTheOneListeningSocket()
    {
        using var tree = new TempTree();
        using var server = StartServer(tree);

        // /proc/net/tcp: "sl local_address rem_address st … uid timeout inode", the port in hex after the colon,
        // 0A = LISTEN.
        var sockets = File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields[3] == "0A" && int.Parse(fields[1].Split(':')[1], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) == server.Port)
            .Select(fields => fields[9])
            .ToList();
        Assert.That(sockets, Has.Count.EqualTo(1), "one listening socket, one queue");

        var descriptors = OpenDescriptors.Targets(server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)).Count(target => target == $"socket:[{sockets[0]}]");
        Assert.That(descriptors, Is.EqualTo(Math.Max(1, Environment.ProcessorCount)), "a descriptor per engine thread");
    }

    // A new connection for one request that asks to close it, read to the server's close.
    private static async Task CloseAfterOneAsync(int port, byte[] buffer)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        await stream.WriteAsync(CloseRequest);
        var filled = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer.AsMemory(filled))) > 0)
        {
            filled += read;
        }
        Assert.That(buffer.AsSpan(0, filled).EndsWith("hello\n"u8), Is.True, "the whole response, then the close");
    }

    private static readonly byte[] CloseRequest = Encoding.ASCII.GetBytes("GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

    // Enough connections for tens of clock ticks of server CPU to attribute.
    private const int NewConnections = 4_000;

    // The command line's own choice of socket engine settings, whatever this process's environment says.
    private static CliProcess StartServer(TempTree tree)
    {
        Assume.That(PlatformDetector.Detect().Name, Is.EqualTo("posix"), "thread times are read from /proc");
        tree.WriteText("root/a.txt", "hello\n");
        return CliProcess.StartWithEnvironment(CleanEnvironment, tree.PathOf("root"), "--no-access-log");
    }

    private static readonly Dictionary<string, string?> CleanEnvironment = new()
    {
        ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = null,
        ["DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT"] = null,
    };

    // One request after another on one keep-alive connection, each waited for, so every read is a fresh wait that
    // resumes somewhere; meanwhile idleConnections more stay open (each having made one request, so it is counted).
    private static async Task<(long Engine, long Workers)> CpuWhileAnsweringAsync(CliProcess server, int idleConnections)
    {
        var idle = new List<TcpClient>();
        try
        {
            for (var i = 0; i < idleConnections; i++)
            {
                var client = new TcpClient();
                idle.Add(client);
                await client.ConnectAsync("127.0.0.1", server.Port);
                await GetAsync(client.GetStream(), new byte[4096]);
            }
            using var busy = new TcpClient { NoDelay = true };
            await busy.ConnectAsync("127.0.0.1", server.Port);
            var stream = busy.GetStream();
            var buffer = new byte[4096];
            await GetAsync(stream, buffer);
            var before = ThreadTicks(server.Id);
            for (var i = 0; i < Requests; i++)
            {
                await GetAsync(stream, buffer);
            }
            var after = ThreadTicks(server.Id);
            return (after.Engine - before.Engine, after.Workers - before.Workers);
        }
        finally
        {
            foreach (var client in idle)
            {
                client.Dispose();
            }
        }
    }

    private static readonly byte[] Request = Encoding.ASCII.GetBytes("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");

    // Reads until the 6-byte body's end: the whole response (its head is under 4 KiB).
    private static async Task GetAsync(NetworkStream stream, byte[] buffer)
    {
        await stream.WriteAsync(Request);
        var filled = 0;
        while (filled < 6 || !buffer.AsSpan(filled - 6, 6).SequenceEqual("hello\n"u8))
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled));
            if (read == 0)
            {
                throw new IOException("the server closed the connection");
            }
            filled += read;
        }
    }

    // utime + stime of the socket engine's threads and of the pool's workers, in clock ticks.
    private static (long Engine, long Workers) ThreadTicks(int pid)
    {
        long engine = 0, workers = 0;
        foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            string name, stat;
            try
            {
                name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (IOException)
            {
                continue; // the thread ended meanwhile
            }
            // Fields after the parenthesised name: state is the 3rd field, utime the 14th, stime the 15th.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            if (name == ".NET Sockets")
            {
                engine += ticks;
            }
            else if (name.StartsWith(".NET TP Worker", StringComparison.Ordinal))
            {
                workers += ticks;
            }
        }
        return (engine, workers);
    }
}
