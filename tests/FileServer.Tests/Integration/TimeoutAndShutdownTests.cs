using FileServer.Tests.Support;

namespace FileServer.Tests.Integration;

/// <summary>Head timeouts and graceful shutdown with short timeouts set in the options.</summary>
public class TimeoutAndShutdownTests
{
    private TempTree _tree = null!;
    private string _bigSha = null!;

    [SetUp]
    public void CreateFiles()
    {
        _tree = new TempTree();
        _bigSha = _tree.WriteRandom("big.bin", 32 * 1024 * 1024);
        _tree.WriteText("small.txt", "small");
    }

    [TearDown]
    public void RemoveFiles() => _tree.Dispose();

    [Test]
    public async Task SlowHead_Gets408AndIsClosed_AtTheHeaderTimeout()
    {
        await using var server = TestServer.Start(_tree.Root, o => o with { HeaderTimeout = TimeSpan.FromSeconds(1) });
        using var connection = server.Connect();
        connection.Send("GET /small.txt HTTP/1.1\r\nHo");
        var response = connection.ReadResponse();
        Assert.That(response.Status, Is.EqualTo(408));
        Assert.That(connection.IsClosedByServer(), Is.True);
    }

    [TestCase("GET")]
    [TestCase("POST")]
    public async Task DeclaredBodyThatNeverArrives_Gets408AndAnAccessLogLine_AtTheHeaderTimeout(string method)
    {
        await using var server = TestServer.Start(_tree.Root, o => o with { HeaderTimeout = TimeSpan.FromSeconds(1) });
        using var connection = server.Connect();
        connection.Send($"{method} /small.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
        var response = connection.ReadResponse();
        var logged = await server.Logs.WaitForEventAsync(2);
        Assert.Multiple(() =>
        {
            Assert.That(response.Status, Is.EqualTo(408));
            Assert.That(response.Header("Connection"), Is.EqualTo("close"));
            Assert.That(connection.IsClosedByServer(), Is.True);
            Assert.That(logged.Message, Does.Contain($"\"{method} /small.txt HTTP/1.1\" 408"));
        });
    }

    [Test]
    public async Task IdleKeepAliveConnection_IsClosed_AtTheIdleTimeout()
    {
        await using var server = TestServer.Start(_tree.Root, o => o with { IdleTimeout = TimeSpan.FromSeconds(1) });
        using var connection = server.Connect();
        Assert.That(connection.Get("/small.txt").BodyText, Is.EqualTo("small"));
        Assert.That(connection.IsClosedByServer(), Is.True, "closed quietly, without a response");
    }

    [Test]
    public async Task SilentNewConnection_IsStillHandedOver_AndClosedAtTheIdleTimeout()
    {
        // The listener defers accepting until a client's first bytes; one that never sends any is handed over by the
        // kernel after about a second all the same, and then meets the idle timeout like any other.
        await using var server = TestServer.Start(_tree.Root, o => o with { IdleTimeout = TimeSpan.FromSeconds(1) });
        using var silent = server.Connect();

        Assert.That(silent.IsClosedByServer(), Is.True, "closed quietly, without a response");
        using var next = server.Connect();
        Assert.That(next.Get("/small.txt").BodyText, Is.EqualTo("small"), "and the server serves on");
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Stop_ClosesIdleConnections_AndLetsRunningResponsesFinish(bool disableSendFile)
    {
        var server = TestServer.Start(_tree.Root, o => o with { DisableSendFile = disableSendFile, ShutdownTimeout = TimeSpan.FromSeconds(60) });
        using var idle = server.Connect();
        Assert.That(idle.Get("/small.txt").Status, Is.EqualTo(200));
        using var busy = server.Connect();
        busy.Send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
        // The response has started (head and some body are on the wire) before the stop.
        busy.Socket.Poll(TimeSpan.FromSeconds(30), System.Net.Sockets.SelectMode.SelectRead);

        var port = server.Port;
        var stopping = server.DisposeAsync().AsTask();
        Assert.That(idle.IsClosedByServer(), Is.True, "an idle keep-alive connection is closed at once");
        var response = busy.ReadResponse();
        await stopping.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(response.BodySha256, Is.EqualTo(_bigSha), "the running download completes intact");
        Assert.Throws<System.Net.Sockets.SocketException>(() => RawHttpConnection.Open(port), "no new connections after stop");
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Stop_AbortsAResponsePausedByTheRateLimit_AtTheDeadline(bool disableSendFile)
    {
        // One byte per second: the pause after the first slice would outlast any test, and the stop must not wait.
        var server = TestServer.Start(_tree.Root, o => o with { DisableSendFile = disableSendFile, ShutdownTimeout = TimeSpan.FromMilliseconds(500), LimitRate = 1 });
        using var paused = server.Connect();
        paused.Send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.That(paused.Socket.Poll(TimeSpan.FromSeconds(30), System.Net.Sockets.SelectMode.SelectRead), Is.True, "the first slice arrived");

        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(() => paused.ReadResponse(), Throws.InstanceOf<IOException>(), "cut off, never completed");
    }

    [Test]
    public async Task StopNow_AbortsRunningResponses_WithoutWaitingOutTheGracePeriod()
    {
        var server = TestServer.Start(_tree.Root, o => o with { ShutdownTimeout = TimeSpan.FromHours(1) });
        try
        {
            using var stalled = server.Connect();
            stalled.Socket.ReceiveBufferSize = 4096;
            stalled.Send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.That(stalled.Socket.Poll(TimeSpan.FromSeconds(30), System.Net.Sockets.SelectMode.SelectRead), Is.True, "the response began");

            var stopping = server.Host.StopAsync();
            Assert.That(stopping.IsCompleted, Is.False, "a graceful stop waits for the stalled response");
            server.Host.StopNow();
            await stopping.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.That(() => stalled.ReadResponse(), Throws.InstanceOf<IOException>());
            Assert.That(server.Logs.Logs.Select(l => l.Message), Has.Some.StartsWith("Told to stop at once: aborting 1 connection"));
        }
        finally
        {
            // Whatever failed above, the hour of grace must not outlive the test.
            server.Host.StopNow();
            await server.DisposeAsync();
        }
    }

    [Test]
    public async Task Stop_AbortsResponsesStillRunningAtTheDeadline()
    {
        var server = TestServer.Start(_tree.Root, o => o with { ShutdownTimeout = TimeSpan.FromMilliseconds(500) });
        using var stalled = server.Connect();
        stalled.Socket.ReceiveBufferSize = 4096;
        stalled.Send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
        stalled.Socket.Poll(TimeSpan.FromSeconds(30), System.Net.Sockets.SelectMode.SelectRead);

        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        // Cut off (EOF or reset), never completed.
        Assert.That(() => stalled.ReadResponse(), Throws.InstanceOf<IOException>());
    }
}
