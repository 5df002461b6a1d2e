using System.Net.Sockets;
using FileServer.Platform;
using FileServer.Tests.Support;
using FileServer.Transport;
using static FileServer.Tests.Support.TransportDefaults;

namespace FileServer.Tests.Transport;

/// <summary>
/// A connection's last response held back until the close, so its tail and the FIN share a segment: sent with
/// MSG_MORE (no TCP_CORK call) where it leaves at once, corked through a body sender's batch and kept so, and a close
/// that skips the half-close still delivers every byte and the end (the close that waits for unread input:
/// SocketTransportTests).
/// </summary>
public class HoldUntilCloseTests
{
    private const int IpProtoTcp = 6, TcpCork = 3;
    // ioctl: bytes in the send queue the kernel has not sent yet (Linux SIOCOUTQNSD).
    private const nuint UnsentBytesRequest = 0x894B;
    private readonly IPlatform _platform = PlatformDetector.Detect();

    private static bool IsCorked(Socket socket)
    {
        var value = new byte[4];
        socket.GetRawSocketOption(IpProtoTcp, TcpCork, value);
        return BitConverter.ToInt32(value) != 0;
    }

    private static int UnsentBytes(Socket socket)
    {
        Assert.That(LibC.ioctl((int)socket.Handle, UnsentBytesRequest, out var unsent), Is.Zero, "SIOCOUTQNSD");
        return unsent;
    }

    private static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        new Random(25).NextBytes(bytes);
        return bytes;
    }

    [Test]
    public async Task Hold_KeepsTheCork_WhenABodySenderEndsItsBatch()
    {
        Assume.That(OperatingSystem.IsLinux(), "TCP_CORK is Linux's");
        using var pair = await SocketPair.CreateAsync();
        await using var transport = new SocketTransport(pair.Server, _platform, Options);

        transport.HoldUntilClose();
        transport.SetBatching(true);
        transport.SetBatching(false);

        Assert.That(IsCorked(pair.Server), Is.True, "only the close releases a held response");
    }

    // Writes a response of the given length, held or not, and says what the kernel then holds: the cork, and the bytes
    // it has not sent (all of them, for a partial segment held for the FIN).
    private async Task<(bool Corked, int Unsent)> SendAsync(int length, bool held, int bufferBytes = 8192)
    {
        using var pair = await SocketPair.CreateAsync(bufferBytes);
        await using var transport = new SocketTransport(pair.Server, _platform, Options);
        if (held)
        {
            transport.HoldUntilClose();
        }
        transport.Write(Pattern(length));
        await transport.FlushAsync().AsTask().WaitAsync(Bound);
        return (IsCorked(pair.Server), UnsentBytes(pair.Server));
    }

    [Test]
    public async Task HeldResponse_ThatLeavesAtOnce_WaitsInTheKernelForTheClose_WithoutTheCork()
    {
        Assume.That(OperatingSystem.IsLinux(), "MSG_MORE is Linux's");
        // Within one of the queue's 16 KiB buffers: it leaves in one immediate send.
        var (corked, unsent) = await SendAsync(2_000, held: true);

        Assert.That(corked, Is.False, "no TCP_CORK call for a response that leaves in one send");
        Assert.That(unsent, Is.EqualTo(2_000), "the partial segment waits for the FIN");
    }

    [Test]
    public async Task HeldResponse_SentGathered_IsCorked_AndWaitsForTheClose()
    {
        Assume.That(OperatingSystem.IsLinux(), "TCP_CORK is Linux's");
        // Beyond one of the queue's 16 KiB buffers: .NET's gathered send, which cannot say MSG_MORE.
        var (corked, unsent) = await SendAsync(40_000, held: true, bufferBytes: 1 << 20);

        Assert.That(corked, Is.True, "corked before .NET's own send");
        Assert.That(unsent, Is.EqualTo(40_000), "less than a segment: held for the FIN");
    }

    [Test]
    public async Task ResponseNotHeld_LeavesAtOnce()
    {
        Assume.That(OperatingSystem.IsLinux(), "SIOCOUTQNSD is Linux's");
        var (corked, unsent) = await SendAsync(4_203, held: false);

        Assert.That(corked, Is.False);
        Assert.That(unsent, Is.Zero, "a kept-alive connection's response is not held back");
    }

    [Test]
    public async Task Batching_WithoutAHold_StillReleasesTheCork()
    {
        Assume.That(OperatingSystem.IsLinux(), "TCP_CORK is Linux's");
        using var pair = await SocketPair.CreateAsync();
        await using var transport = new SocketTransport(pair.Server, _platform, Options);

        transport.SetBatching(true);
        Assert.That(IsCorked(pair.Server), Is.True);
        transport.SetBatching(false);

        Assert.That(IsCorked(pair.Server), Is.False, "a kept-alive connection's response leaves at its end");
    }

    [Test]
    public async Task HeldResponse_ArrivesWhole_WithTheEnd_WhenTheCloseSkipsTheHalfClose()
    {
        using var pair = await SocketPair.CreateAsync();
        var transport = new SocketTransport(pair.Server, _platform, Options);
        // Not a whole number of segments: a tail that the cork holds until the close.
        var data = Pattern(100_003);
        transport.HoldUntilClose();
        transport.Write(data);

        var reading = pair.ReadClientToEndAsync();
        await transport.CloseAsync(TimeSpan.FromHours(1), peerSendsNoMore: true).AsTask().WaitAsync(Bound);
        await transport.DisposeAsync();

        Assert.That(await reading.WaitAsync(Bound), Is.EqualTo(data), "every byte, then a clean end");
    }
}
