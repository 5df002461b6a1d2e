using System.Net.Sockets;
using FileServer.Platform;
using FileServer.Tests.Support;
using FileServer.Transport;

namespace FileServer.Tests.Transport;

/// <summary>
/// A new connection's first zero-byte read ("tell me when there is data") answers at once, without a syscall, since
/// the listener defers the accept until the request is there; every later one waits for data as usual. A read that came
/// back short tells the close that the kernel held nothing more then.
/// </summary>
public sealed class SocketStreamTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Test]
    public async Task FirstZeroByteRead_AnswersAtOnce_EvenWithNothingSent()
    {
        using var pair = await SocketPair.CreateAsync();
        using var stream = new SocketStream(pair.Server);

        var first = stream.ReadAsync(Memory<byte>.Empty);

        Assert.That(first.IsCompleted, Is.True, "the first zero-byte read waited for data");
        Assert.That(await first, Is.Zero);
    }

    [Test]
    public async Task LaterZeroByteRead_WaitsForData_ThenTheBytesAreRead()
    {
        using var pair = await SocketPair.CreateAsync();
        using var stream = new SocketStream(pair.Server);
        Assert.That(await stream.ReadAsync(Memory<byte>.Empty), Is.Zero);

        var waiting = stream.ReadAsync(Memory<byte>.Empty).AsTask();
        Assert.That(waiting.IsCompleted, Is.False, "a later zero-byte read answered with nothing sent");
        await pair.Client.SendAsync("GET"u8.ToArray(), SocketFlags.None);
        Assert.That(await waiting.WaitAsync(Bound), Is.Zero);

        var buffer = new byte[16];
        var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(Bound);
        Assert.That(buffer.AsSpan(0, read).ToArray(), Is.EqualTo("GET"u8.ToArray()));
    }

    [Test]
    public async Task FirstRead_WithABuffer_ReadsTheBytes()
    {
        using var pair = await SocketPair.CreateAsync();
        using var stream = new SocketStream(pair.Server);
        await pair.Client.SendAsync("HEAD"u8.ToArray(), SocketFlags.None);

        var buffer = new byte[16];
        var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(Bound);

        Assert.That(buffer.AsSpan(0, read).ToArray(), Is.EqualTo("HEAD"u8.ToArray()));
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task ShortRead_SaysNothingMoreWasWaiting_AndAFullOneThatMoreMayBe(bool readsNow)
    {
        using var pair = await SocketPair.CreateAsync();
        using var stream = new SocketStream(pair.Server, platform: readsNow ? PlatformDetector.Detect() : null);
        Assert.That(stream.MayHoldUnreadInput, Is.True, "before any read nothing is known");
        var buffer = new byte[16];

        await pair.Client.SendAsync(new byte[20], SocketFlags.None);
        Assert.That(await stream.ReadAsync(buffer).AsTask().WaitAsync(Bound), Is.EqualTo(16));
        Assert.That(stream.MayHoldUnreadInput, Is.True, "a read that filled its buffer may have left bytes behind");

        Assert.That(await stream.ReadAsync(buffer).AsTask().WaitAsync(Bound), Is.EqualTo(4));
        Assert.That(stream.MayHoldUnreadInput, Is.False, "a short read took all there was");

        await pair.Client.SendAsync(new byte[16], SocketFlags.None);
        Assert.That(await stream.ReadAsync(Memory<byte>.Empty).AsTask().WaitAsync(Bound), Is.Zero);
        Assert.That(stream.MayHoldUnreadInput, Is.False, "a zero-byte read says nothing of how much came");
        Assert.That(await stream.ReadAsync(buffer).AsTask().WaitAsync(Bound), Is.EqualTo(16));
        Assert.That(stream.MayHoldUnreadInput, Is.True);
    }

    [Test]
    public async Task ZeroByteRead_AfterOneThatFoundDataThere_ReceivesWhatIsThere_AndTheReadsAfterGetEveryByteInOrder()
    {
        using var pair = await SocketPair.CreateAsync();
        using var stream = new SocketStream(pair.Server, platform: PlatformDetector.Detect());
        await AZeroByteReadFindsDataThereAsync(pair, stream);

        // Data there at the last zero-byte read: the next one receives it (one receive instead of a peek and a read).
        var sent = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();
        await pair.Client.SendAsync(sent, SocketFlags.None);
        var received = new List<byte>();
        var small = new byte[100];
        while (received.Count < sent.Length)
        {
            Assert.That(await stream.ReadAsync(Memory<byte>.Empty).AsTask().WaitAsync(Bound), Is.Zero);
            if (received.Count == 0)
            {
                Assert.That(stream.HoldsStashedBytes, Is.True, "the zero-byte read received what was there");
            }
            var read = await stream.ReadAsync(small).AsTask().WaitAsync(Bound);
            received.AddRange(small.AsSpan(0, read).ToArray());
        }
        Assert.That(received.ToArray(), Is.EqualTo(sent), "every byte, in order, through the stash and around it");
        Assert.That(stream.HoldsStashedBytes, Is.False, "the buffer goes back once emptied");

        var waiting = stream.ReadAsync(Memory<byte>.Empty).AsTask();
        Assert.That(waiting.IsCompleted, Is.False, "with nothing there the zero-byte read waits");
        Assert.That(stream.HoldsStashedBytes, Is.False, "and holds no buffer while it waits");
        await pair.Client.SendAsync("HEAD"u8.ToArray(), SocketFlags.None);
        Assert.That(await waiting.WaitAsync(Bound), Is.Zero);
        Assert.That(await ReadExactlyAsync(stream, 4), Is.EqualTo("HEAD"u8.ToArray()));
    }

    [Test]
    public async Task StashedBytes_ThenThePeersEnd_AreReadWhole_ThenTheEnd()
    {
        using var pair = await SocketPair.CreateAsync();
        using var stream = new SocketStream(pair.Server, platform: PlatformDetector.Detect());
        await AZeroByteReadFindsDataThereAsync(pair, stream);

        await pair.Client.SendAsync("LAST"u8.ToArray(), SocketFlags.None);
        pair.Client.Shutdown(SocketShutdown.Send);
        Assert.That(await stream.ReadAsync(Memory<byte>.Empty).AsTask().WaitAsync(Bound), Is.Zero);
        Assert.That(await ReadExactlyAsync(stream, 4), Is.EqualTo("LAST"u8.ToArray()));
        Assert.That(await stream.ReadAsync(Memory<byte>.Empty).AsTask().WaitAsync(Bound), Is.Zero);
        Assert.That(await stream.ReadAsync(new byte[8]).AsTask().WaitAsync(Bound), Is.Zero, "the peer's end");
    }

    // The free first read, then a zero-byte read with a request already there, read whole.
    private static async Task AZeroByteReadFindsDataThereAsync(SocketPair pair, SocketStream stream)
    {
        Assert.That(await stream.ReadAsync(Memory<byte>.Empty), Is.Zero);
        await pair.Client.SendAsync("GET"u8.ToArray(), SocketFlags.None);
        Assert.That(await stream.ReadAsync(Memory<byte>.Empty).AsTask().WaitAsync(Bound), Is.Zero);
        await ReadExactlyAsync(stream, 3);
    }

    private static async Task<byte[]> ReadExactlyAsync(SocketStream stream, int count)
    {
        var buffer = new byte[count];
        var at = 0;
        while (at < count)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(at)).AsTask().WaitAsync(Bound);
            Assert.That(read, Is.Positive, "the stream ended early");
            at += read;
        }
        return buffer;
    }
}
