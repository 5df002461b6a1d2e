using System.Net.Sockets;
using FileServer.Platform;
using FileServer.Tests.Support;
using FileServer.Transport;
using static FileServer.Tests.Support.TransportDefaults;

namespace FileServer.Tests.Transport;

/// <summary>The asyncio write/drain contract and ordered zero-copy sends, over real loopback sockets.</summary>
public class SocketTransportTests
{
    private readonly IPlatform _platform = PlatformDetector.Detect();

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Test]
    public async Task Write_ReturnsAtOnce_WithAPeerThatNeverReads()
    {
        using var pair = await SocketPair.CreateAsync();
        await using var transport = new SocketTransport(pair.Server, _platform, Options);
        var data = Pattern(10 * 1024 * 1024, 1);

        // 10 MiB into a peer that reads nothing: a blocking Write would never get out of this loop.
        for (var offset = 0; offset < data.Length; offset += 64 * 1024)
        {
            transport.Write(data.AsSpan(offset, 64 * 1024));
        }

        Assert.That(transport.QueuedBytes, Is.GreaterThan(Options.HighWatermark), "bytes wait in the queue, not in the kernel");
        var drain = transport.DrainAsync().AsTask();
        Assert.That(drain.IsCompleted, Is.False, "drain waits above the high watermark");

        var received = await pair.ReadClientAsync(data.Length).WaitAsync(Bound);
        await drain.WaitAsync(Bound);
        Assert.That(received, Is.EqualTo(data));
    }

    [Test]
    public async Task Drain_CompletesSynchronously_BelowTheHighWatermark()
    {
        using var pair = await SocketPair.CreateAsync();
        await using var transport = new SocketTransport(pair.Server, _platform, Options);
        transport.Write(new byte[Options.HighWatermark / 2]);
        var drain = transport.DrainAsync().AsTask();
        Assert.That(drain.IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public async Task Drain_WaitsAboveHigh_AndDeliversEveryByte()
    {
        using var pair = await SocketPair.CreateAsync();
        await using var transport = new SocketTransport(pair.Server, _platform, Options);
        var data = Pattern(4 * 1024 * 1024, 2);
        transport.Write(data);
        var drain = transport.DrainAsync().AsTask();
        Assert.That(drain.IsCompleted, Is.False);

        var received = await pair.ReadClientAsync(data.Length).WaitAsync(Bound);
        await drain.WaitAsync(Bound);
        Assert.That(received, Is.EqualTo(data));
    }

    // asyncio's contract: a drain that waited resumes once a send leaves no more than the low watermark queued — with
    // bytes still queued, so the writer refills while they go out — never at "empty" and never above low.
    [TestCase(16 * 1024)]
    [TestCase(4 * 1024)]
    [TestCase(40 * 1024)]
    public async Task Drain_ResumesBelowTheLowWatermark_WithBytesStillQueued(int low)
    {
        var options = Options with { LowWatermark = low };
        using var pair = await SocketPair.CreateAsync();
        await using var transport = new SocketTransport(pair.Server, _platform, options);
        var data = Pattern(2 * 1024 * 1024, 9);
        var reading = pair.ReadClientInStepsAsync(data.Length, step: 1024);

        // The copy loop's shape: queue up to the high watermark, drain, repeat.
        var queuedAtResume = new List<long>();
        var written = 0;
        while (written < data.Length)
        {
            var count = Math.Min(transport.WriteBudget, data.Length - written);
            transport.Write(data.AsSpan(written, count));
            written += count;
            var drain = transport.DrainAsync();
            if (!drain.IsCompleted)
            {
                // Resumed inline on the thread whose send made room: the queue is read before anything else is sent.
                await drain.ConfigureAwait(false);
                queuedAtResume.Add(transport.QueuedBytes);
            }
        }

        Assert.That(await reading.WaitAsync(Bound), Is.EqualTo(data));
        Assert.That(queuedAtResume, Has.Count.GreaterThan(10), "a peer reading 1 KiB at a time makes the writer wait");
        Assert.That(queuedAtResume, Is.All.InRange(1, low), "resumed at or below low, with bytes still queued");
    }

    [Test]
    public async Task Drain_WaitingOnAPeerThatDoesNotRead_EndsWithItsToken_AndTheNextDrainStillWaits()
    {
        using var pair = await SocketPair.CreateAsync();
        await using var transport = new SocketTransport(pair.Server, _platform, Options);
        transport.Write(new byte[1024 * 1024]);
        using var cancel = new CancellationTokenSource();
        var drain = transport.DrainAsync(cancel.Token).AsTask();
        Assert.That(drain.IsCompleted, Is.False);

        await cancel.CancelAsync();
        await Assert.CatchAsync<OperationCanceledException>(async () => await drain.WaitAsync(Bound));

        var next = transport.DrainAsync().AsTask();
        Assert.That(next.IsCompleted, Is.False, "the queue is still above the high watermark: the next drain waits too");
        transport.Abort();
        await Assert.CatchAsync<IOException>(async () => await next.WaitAsync(Bound));
    }

    [Test]
    public async Task PumpFault_OfAnUnexpectedKind_SurfacesFromTheWaitingDrain_AsItself()
    {
        using var pair = await SocketPair.CreateAsync();
        var fault = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var transport = new FaultingTransport(pair.Server, _platform, fault.Task);
        transport.Write(new byte[Options.HighWatermark]);
        var drain = transport.DrainAsync().AsTask();
        Assert.That(drain.IsCompleted, Is.False, "the pump is stuck in its send");

        fault.SetException(new InvalidOperationException("a bug in the send path"));

        var raised = await Assert.ThrowsAsync<InvalidOperationException>(async () => await drain.WaitAsync(Bound), "not left to the send timeout, not disguised as a peer leaving");
        Assert.That(raised!.Message, Is.EqualTo("a bug in the send path"));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await transport.DrainAsync(), "the fault stays stored");
    }

    // A transport whose sends fail however the test says, once the test says so.
    private sealed class FaultingTransport : BufferedTransport
    {
        private readonly Task _fault;

        public FaultingTransport(Socket socket, IPlatform platform, Task fault)
            : base(socket, platform, TransportDefaults.Options)
        {
            _fault = fault;
            StartPump();
        }

        public override System.IO.Pipelines.PipeReader Input { get; } = System.IO.Pipelines.PipeReader.Create(Stream.Null);

        public override bool CanSendFile => false;

        protected override async ValueTask SendQueuedAsync(System.Buffers.ReadOnlySequence<byte> buffer) => await _fault;
    }

    [Test]
    public async Task PeerReset_SurfacesFromDrain_NotFromWrite()
    {
        using var pair = await SocketPair.CreateAsync();
        await using var transport = new SocketTransport(pair.Server, _platform, Options);
        pair.Client.LingerState = new LingerOption(true, 0);
        pair.Client.Close(); // RST

        var raised = await TransportProbe.WriteUntilDrainFailsAsync(transport, Bound);
        Assert.That(raised, Is.Not.Null, "a send error must reach the writer through DrainAsync");
        await Assert.ThrowsAsync<IOException>(async () => await transport.DrainAsync(), "the error stays stored");
    }

    [Test]
    public async Task DirectWriteSpace_IsTheKernelsRoom_OnlyWhileNothingIsQueued()
    {
        Assume.That(_platform.Name, Is.EqualTo("posix"), "the kernel's free send space is known on Linux only");
        using var pair = await SocketPair.CreateAsync(bufferBytes: 4 * 1024 * 1024);
        await using var transport = new SocketTransport(pair.Server, _platform, Options);
        Assert.That(transport.DirectWriteSpace, Is.GreaterThanOrEqualTo(1024 * 1024), "an idle socket with megabytes of buffer");

        var idle = transport.DirectWriteSpace;
        transport.WriteDeferred(new byte[1000]); // queued, not yet committed to the pump
        Assert.That(transport.DirectWriteSpace, Is.EqualTo(idle - 1000), "room past the queued bytes, which a direct send waits behind");
    }

    [Test]
    public async Task SendDirect_GoesAfterQueuedBytes_AndNeverThroughTheQueue()
    {
        using var pair = await SocketPair.CreateAsync();
        await using var transport = new SocketTransport(pair.Server, _platform, Options);
        var head = Pattern(100_000, 12);
        var body = Pattern(1024 * 1024, 13);
        var reading = pair.ReadClientAsync(head.Length + body.Length + 3);

        transport.Write(head);
        await transport.SendDirectAsync(body).AsTask().WaitAsync(Bound);
        Assert.That(transport.QueuedBytes, Is.Zero, "the direct bytes were never queued");
        transport.Write("end"u8);
        await transport.FlushAsync().AsTask().WaitAsync(Bound);

        Assert.That(await reading.WaitAsync(Bound), Is.EqualTo(head.Concat(body).Concat("end"u8.ToArray()).ToArray()));
        Assert.That(transport.BytesSent, Is.EqualTo(head.Length + body.Length + 3L));
    }

    [Test]
    public async Task SendDirect_ToAResetPeer_Throws_AndTheErrorStays()
    {
        using var pair = await SocketPair.CreateAsync();
        await using var transport = new SocketTransport(pair.Server, _platform, Options);
        pair.Client.LingerState = new LingerOption(true, 0);
        pair.Client.Close(); // RST
        var chunk = new byte[256 * 1024];

        IOException? raised = null;
        for (var i = 0; i < 100 && raised is null; i++)
        {
            try
            {
                await transport.SendDirectAsync(chunk).AsTask().WaitAsync(Bound);
            }
            catch (IOException e)
            {
                raised = e;
            }
        }

        Assert.That(raised, Is.Not.Null, "a reset peer fails the send");
        await Assert.ThrowsAsync<IOException>(async () => await transport.DrainAsync(), "the error stays stored for the writer");
        Assert.That(transport.DirectWriteSpace, Is.Zero, "nothing goes directly after a send error");
    }

    [Test]
    public async Task WritesAndSendFile_ArriveInOrder()
    {
        using var tree = new TempTree();
        var fileBytes = Pattern(3 * 1024 * 1024, 3);
        tree.WriteBytes("f.bin", fileBytes);
        using var opened = _platform.OpenForReading(tree.PathOf("f.bin"));
        var file = opened.ZeroCopyStream;
        using var pair = await SocketPair.CreateAsync();
        var transport = new SocketTransport(pair.Server, _platform, Options);
        var reading = pair.ReadClientToEndAsync();

        var head = Pattern(100_000, 4);
        transport.Write(head);
        var first = await transport.SendFileAsync(file, 100, 2_500_000);
        transport.Write("middle"u8);
        var second = await transport.SendFileAsync(file, 0, 10);
        transport.Write("end"u8);
        await transport.CloseAsync(TimeSpan.FromSeconds(1), peerSendsNoMore: false);
        await transport.DisposeAsync();

        var expected = head.Concat(fileBytes.Skip(100).Take(2_500_000)).Concat("middle"u8.ToArray())
            .Concat(fileBytes.Take(10)).Concat("end"u8.ToArray()).ToArray();
        var received = await reading.WaitAsync(Bound);
        Assert.That((first, second), Is.EqualTo((2_500_000L, 10L)));
        Assert.That(received, Is.EqualTo(expected));
    }

    [Test]
    public async Task Close_WhenThePeerSendsNoMore_DoesNotWaitForItsEnd()
    {
        using var pair = await SocketPair.CreateAsync();
        var transport = new SocketTransport(pair.Server, _platform, Options);
        transport.Write("last bytes"u8);

        // The client never closes: a close that waited for its end would sit out the whole hour.
        await transport.CloseAsync(TimeSpan.FromHours(1), peerSendsNoMore: true).AsTask().WaitAsync(Bound);
        await transport.DisposeAsync();

        Assert.That(await pair.ReadClientToEndAsync().WaitAsync(Bound), Is.EqualTo("last bytes"u8.ToArray()), "every byte, then a clean end");
    }

    // Held (TCP_CORK to the close): the half-close releases the held bytes with the FIN while the close still waits.
    [TestCase(false)]
    [TestCase(true)]
    public async Task Close_WithUnreadInput_WaitsForThePeersEnd_EvenWhenItSendsNoMore(bool heldUntilClose)
    {
        using var pair = await SocketPair.CreateAsync();
        var transport = new SocketTransport(pair.Server, _platform, Options);
        await pair.Client.SendAsync("GET /next HTTP/1.1\r\n\r\n"u8.ToArray());
        Assert.That(pair.Server.Poll(Bound, SelectMode.SelectRead), Is.True, "the unread request reached the server");
        if (heldUntilClose)
        {
            transport.HoldUntilClose();
        }
        transport.Write("last bytes"u8);

        var closing = transport.CloseAsync(TimeSpan.FromHours(1), peerSendsNoMore: true).AsTask();
        // Closing over unread input would reset the connection, and the client could lose the response.
        var received = await pair.ReadClientToEndAsync().WaitAsync(Bound);
        Assert.That(received, Is.EqualTo("last bytes"u8.ToArray()));
        Assert.That(closing.IsCompleted, Is.False, "the close waits for the client's end");

        pair.Client.Shutdown(SocketShutdown.Send);
        await closing.WaitAsync(Bound);
        await transport.DisposeAsync();
    }

    [Test]
    public async Task SendFile_AtOffsetPast4GiB_SendsTheRightBytes()
    {
        using var tree = new TempTree();
        const long markerOffset = (4L << 30) + 12_345;
        var marker = Pattern(1024 * 1024, 5);
        var path = tree.PathOf("sparse.bin");
        await using (var writer = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            writer.SetLength(markerOffset + marker.Length + 4096);
            RandomAccess.Write(writer.SafeFileHandle, marker, markerOffset);
        }
        using var opened = _platform.OpenForReading(path);
        var file = opened.ZeroCopyStream;
        using var pair = await SocketPair.CreateAsync();
        await using var transport = new SocketTransport(pair.Server, _platform, Options);

        var reading = pair.ReadClientAsync(marker.Length + 200);
        var sent = await transport.SendFileAsync(file, markerOffset - 100, marker.Length + 200).AsTask().WaitAsync(Bound);
        var received = await reading.WaitAsync(Bound);

        Assert.That(sent, Is.EqualTo(marker.Length + 200));
        Assert.That(received.Take(100), Is.All.Zero, "the hole before the marker");
        Assert.That(received.Skip(100).Take(marker.Length), Is.EqualTo(marker));
        Assert.That(received.Skip(100 + marker.Length), Is.All.Zero);
    }

    [Test]
    public async Task SendFile_ReturnsAShortCount_WhenTheFileEndsEarly()
    {
        using var tree = new TempTree();
        tree.WriteRandom("short.bin", 1000);
        using var opened = _platform.OpenForReading(tree.PathOf("short.bin"));
        var file = opened.ZeroCopyStream;
        using var pair = await SocketPair.CreateAsync();
        await using var transport = new SocketTransport(pair.Server, _platform, Options);
        var reading = pair.ReadClientAsync(1000);
        Assert.That(await transport.SendFileAsync(file, 0, 5000).AsTask().WaitAsync(Bound), Is.EqualTo(1000));
        await reading.WaitAsync(Bound);
    }

    [TestCase(2, true)]
    [TestCase(1, false)]
    public async Task ZeroCopyBody_OnLoopback_HasAFixedSendBufferOnlyBesideOtherConnections(int openConnections, bool fixedBuffer)
    {
        Assume.That(OperatingSystem.IsLinux(), "Linux reports twice the size asked for");
        const int size = 4 * 1024 * 1024;
        const int asked = 300_000;
        using var tree = new TempTree();
        var content = Pattern(size, 9);
        tree.WriteBytes("f.bin", content);
        using var opened = _platform.OpenForReading(tree.PathOf("f.bin"));
        using var pair = await SocketPair.CreateAsync();
        var before = pair.Server.SendBufferSize;
        var transport = new SocketTransport(pair.Server, _platform, Options, sendBuffer: new SharedLoopbackSendBuffer(() => openConnections, asked));

        var sending = transport.SendFileAsync(opened.ZeroCopyStream, 0, size).AsTask();
        var received = await pair.ReadClientAsync(size).WaitAsync(Bound);

        Assert.That(await sending.WaitAsync(Bound), Is.EqualTo(size));
        Assert.That(received, Is.EqualTo(content));
        Assert.That(pair.Server.SendBufferSize, Is.EqualTo(fixedBuffer ? 2 * asked : before));
        await transport.DisposeAsync();
    }

    [Test]
    public async Task SendFile_CutOffByAbort_CountsTheBytesThatLeft()
    {
        // One send-file slice larger than both sockets' buffers: the peer has read part of it when the transport is
        // aborted, and the access log must count that part, not nothing.
        const int size = 32 * 1024 * 1024;
        const int read = 1024 * 1024;
        using var tree = new TempTree();
        tree.WriteBytes("f.bin", Pattern(size, 7));
        using var opened = _platform.OpenForReading(tree.PathOf("f.bin"));
        using var pair = await SocketPair.CreateAsync();
        var transport = new SocketTransport(pair.Server, _platform, Options with { SendFileChunk = size });

        var sending = transport.SendFileAsync(opened.ZeroCopyStream, 0, size).AsTask();
        await pair.ReadClientAsync(read).WaitAsync(Bound);
        transport.Abort();

        Assert.That(async () => await sending.WaitAsync(Bound), Throws.InstanceOf<IOException>());
        Assert.That(transport.BytesSent, Is.GreaterThanOrEqualTo(read).And.LessThan(size));
        await transport.DisposeAsync();
    }

    [Test]
    public async Task QueuedSend_CutOffByAbort_CountsTheBytesThatLeft()
    {
        // One queued buffer larger than both sockets' buffers, read in part by the peer before the abort: the part that
        // left is counted though the buffer never finished.
        const int size = 32 * 1024 * 1024;
        const int read = 1024 * 1024;
        using var pair = await SocketPair.CreateAsync();
        var transport = new SocketTransport(pair.Server, _platform, Options);
        transport.Write(Pattern(size, 8));
        var drain = transport.DrainAsync().AsTask();

        await pair.ReadClientAsync(read).WaitAsync(Bound);
        transport.Abort();

        Assert.That(async () => await drain.WaitAsync(Bound), Throws.InstanceOf<IOException>());
        // The abort fails the drain at once; the pump's send fails when the kernel gives it up. Disposing waits for
        // the pump to stop, and so for its count.
        await transport.DisposeAsync().AsTask().WaitAsync(Bound);
        Assert.That(transport.BytesSent, Is.GreaterThanOrEqualTo(read).And.LessThan(size));
    }

    [Test]
    public async Task Abort_FailsAPendingDrain()
    {
        using var pair = await SocketPair.CreateAsync();
        var transport = new SocketTransport(pair.Server, _platform, Options);
        transport.Write(new byte[4 * 1024 * 1024]);
        var drain = transport.DrainAsync().AsTask();
        Assert.That(drain.IsCompleted, Is.False);
        transport.Abort();
        await Assert.ThrowsAsync<IOException>(async () => await drain.WaitAsync(Bound));
        await transport.DisposeAsync();
    }
}
