using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using FileServer.Tests.Support;

namespace FileServer.Tests.Integration;

/// <summary>
/// Running out of descriptors never kills the server (issue 20): under <c>prlimit --nofile=1024:1024</c> it caps
/// its connections to what the limit can carry, and more clients than that wait instead of crashing it; a file that
/// cannot be opened for lack of descriptors is a 503 to retry, not a missing file or a failure.
/// </summary>
[NonParallelizable]
public partial class DescriptorExhaustionTests
{
    private const int IdleClients = 1100;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private TempTree _tree = null!;

    [SetUp]
    public void CreateTree()
    {
        _tree = new TempTree();
        _tree.WriteText("root/small.txt", "a small file\n");
    }

    [TearDown]
    public void DeleteTree() => _tree.Dispose();

    [Test]
    public async Task LowLimit_MoreIdleConnectionsThanItCanCarry_ServerSurvivesAndServesAgain()
    {
        using var server = CliProcess.StartWithOpenFileLimit(1024, 1024, _tree.PathOf("root"), "--no-access-log");
        var capped = await server.WaitForLogAsync("--max-connections 10000 lowered to", Bound);
        Assert.That(capped, Is.Not.Null, server.Log);
        var carried = int.Parse(LoweredTo().Match(capped!).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.That(carried, Is.InRange(100, IdleClients - 1), "the cap leaves room for connections, and fewer than the clients");

        var clients = new List<Socket>(IdleClients);
        try
        {
            // Every client connects and asks; those beyond the cap wait in the backlog, unanswered, without harm.
            var answered = 0;
            var enoughAnswered = new TaskCompletionSource();
            for (var i = 0; i < IdleClients; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(socket);
                await socket.ConnectAsync("127.0.0.1", server.Port);
                await socket.SendAsync(Encoding.ASCII.GetBytes("GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"));
                _ = AwaitAnswerAsync(socket, () =>
                {
                    if (Interlocked.Increment(ref answered) == carried)
                    {
                        enoughAnswered.TrySetResult();
                    }
                });
            }
            await enoughAnswered.Task.WaitAsync(Bound);
            Assert.That(server.HasExited, Is.False, "alive with every connection it can carry open: " + server.Log);
        }
        finally
        {
            foreach (var socket in clients)
            {
                socket.Dispose();
            }
        }

        // The backlog drains (each waiting client is gone), and the next client is served.
        using (var connection = RawHttpConnection.Open(server.Port))
        {
            var response = connection.Get("/small.txt");
            Assert.That((response.Status, response.BodyText), Is.EqualTo((200, "a small file\n")));
        }
        Assert.Multiple(() =>
        {
            Assert.That(server.Log, Does.Not.Contain("Out of memory"));
            Assert.That(server.Stop(Bound), Is.Zero, "a clean exit on SIGTERM: " + server.Log);
        });
    }

    [Test]
    public async Task OutOfDescriptorsOpeningAFile_Answers503WithRetryAfter_NotA404OrA500()
    {
        // Every open for serving fails as open(2) does at the limit: EMFILE, errno 24.
        var platform = new ReopeningPlatform(readHandle: opened =>
        {
            opened.Dispose();
            throw new IOException("Too many open files", 24);
        });
        await using var server = TestServer.Start(_tree.PathOf("root"), tls: false, o => o with { OpenFileCacheSize = 0 }, platform);
        using var connection = server.Connect();
        var first = connection.Get("/small.txt");
        var second = connection.Get("/small.txt");
        var logged = await server.Logs.WaitForEventAsync(30);
        Assert.Multiple(() =>
        {
            Assert.That((first.Status, first.Header("Retry-After")), Is.EqualTo((503, "1")));
            Assert.That(second.Status, Is.EqualTo(503), "the connection stays usable");
            Assert.That(logged.Level, Is.EqualTo(Microsoft.Extensions.Logging.LogLevel.Warning));
        });
    }

    private static async Task AwaitAnswerAsync(Socket socket, Action answered)
    {
        var buffer = new byte[1024];
        try
        {
            var read = await socket.ReceiveAsync(buffer);
            if (read > 0 && Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal))
            {
                answered();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Closed by the test once enough were answered: those in the backlog never are.
        }
    }

    [GeneratedRegex("lowered to ([0-9]+)")]
    private static partial Regex LoweredTo();
}
