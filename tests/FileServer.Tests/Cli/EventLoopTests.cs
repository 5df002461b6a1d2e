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
    public void EachEngineThread_HasAListeningSocketOfItsOwn()
    {
        using var tree = new TempTree();
        using var server = StartServer(tree);

        // /proc/net/tcp: "sl local_address rem_address st …", the port in hex after the colon, 0A = LISTEN.
        var listening = File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Count(fields => fields[3] == "0A" && int.Parse(fields[1].Split(':')[1], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) == server.Port);

        Assert.That(listening, Is.EqualTo(Math.Max(1, Environment.ProcessorCount)));
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
