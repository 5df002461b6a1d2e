using System.Net.Sockets;
using FileServer.Platform;
using FileServer.Tests.Support;
using FileServer.Transport;
using static FileServer.Tests.Support.TransportDefaults;

namespace FileServer.Tests.Transport;

/// <summary>
/// A connection's last response held back (TCP_CORK) until the close, so its tail and the FIN share a segment: the
/// cork stays on through the body senders' batching, and a close that skips the half-close still delivers every byte
/// and the end (the close that waits for unread input: SocketTransportTests).
/// </summary>
public class HoldUntilCloseTests
{
    private const int IpProtoTcp = 6, TcpCork = 3;
    private readonly IPlatform _platform = PlatformDetector.Detect();

    private static bool IsCorked(Socket socket)
    {
        var value = new byte[4];
        socket.GetRawSocketOption(IpProtoTcp, TcpCork, value);
        return BitConverter.ToInt32(value) != 0;
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
