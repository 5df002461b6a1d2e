using FileServer.Platform;
using FileServer.Serving;
using FileServer.Tests.Support;
using FileServer.Transport;

namespace FileServer.Tests.Serving;

/// <summary>The copy loop's chunk sizing against the watermarks, over real loopback sockets and a real file.</summary>
public class CopyBodySenderTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly TransportOptions Options = new(HighWatermark: 64 * 1024, LowWatermark: 16 * 1024);
    private const int ChunkPastTheWatermark = 1024 * 1024;
    private readonly IPlatform _platform = PlatformDetector.Detect();
    private TempTree _tree = null!;

    [SetUp]
    public void CreateFile() => _tree = new TempTree();

    [TearDown]
    public void RemoveFile() => _tree.Dispose();

    [Test]
    public async Task PeerThatDoesNotRead_NeverMakesTheQueueHoldAChunkPastTheWatermark()
    {
        _tree.WriteRandom("big.bin", 8 * 1024 * 1024);
        var path = _tree.PathOf("big.bin");
        using var pair = await SocketPair.CreateAsync();
        await using var transport = new SocketTransport(pair.Server, _platform, Options);
        using var file = _platform.OpenForReading(path);
        var sender = new CopyBodySender(ChunkPastTheWatermark, limitRate: 0, TimeProvider.System);

        var send = sender.SendAsync(transport, file, BodySegments.Of(BodySegment.FromFile(0, file.Status.Length)), CancellationToken.None).AsTask();

        // The peer reads nothing, so the loop ends up waiting in its drain with the queue at the watermark.
        Assert.That(() => transport.QueuedBytes, Is.GreaterThanOrEqualTo(Options.HighWatermark).After(30_000, 10));
        Assert.That(send.IsCompleted, Is.False, "8 MiB cannot have gone into a peer that reads nothing");
        // Whole chunks go only to a socket with room for them; what waits in the queue is the watermark's worth.
        Assert.That(transport.QueuedBytes, Is.InRange(Options.HighWatermark, Options.HighWatermark + 32 * 1024));

        var received = await pair.ReadClientAsync((int)file.Status.Length).WaitAsync(Bound);
        await send.WaitAsync(Bound);
        Assert.That(received, Is.EqualTo(await File.ReadAllBytesAsync(path)));
    }

    [Test]
    public async Task FastPeer_GetsChunksPastTheWatermark_AndEveryByteInOrder()
    {
        Assume.That(_platform.Name, Is.EqualTo("posix"), "the kernel's free send space is known on Linux only");
        _tree.WriteRandom("big.bin", 8 * 1024 * 1024, seed: 7);
        var path = _tree.PathOf("big.bin");
        using var pair = await SocketPair.CreateAsync(bufferBytes: 4 * 1024 * 1024);
        await using var transport = new SocketTransport(pair.Server, _platform, Options);
        using var file = _platform.OpenForReading(path);
        var sender = new CopyBodySender(ChunkPastTheWatermark, limitRate: 0, TimeProvider.System);

        // An empty queue on a socket with megabytes of room: the loop reads whole chunks and hands them to the kernel.
        Assert.That(transport.DirectWriteSpace, Is.GreaterThanOrEqualTo(ChunkPastTheWatermark));
        var receive = pair.ReadClientAsync((int)file.Status.Length);
        await sender.SendAsync(transport, file, BodySegments.Of(BodySegment.FromFile(0, file.Status.Length)), CancellationToken.None).AsTask().WaitAsync(Bound);

        Assert.That(await receive.WaitAsync(Bound), Is.EqualTo(await File.ReadAllBytesAsync(path)));
    }
}
