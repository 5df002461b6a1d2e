using System.Net.Sockets;
using FileServer.Platform;
using FileServer.Tests.Support;
using FileServer.Transport;

namespace FileServer.Tests.Transport;

/// <summary>
/// A connection's last response held back (TCP_CORK) until the close, so its tail and the FIN share a segment: the
/// cork stays on through the body senders' batching, and every close path still delivers every byte and the end.
/// </summary>
public class HoldUntilCloseTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly TransportOptions Options = new(HighWatermark: 64 * 1024, LowWatermark: 16 * 1024, SendFileChunk: 1024 * 1024);
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

    [Test]
    public async Task HeldResponse_ArrivesWhole_BeforeTheClientsEnd_WhenTheCloseWaitsForIt()
    {
        using var pair = await SocketPair.CreateAsync();
        var transport = new SocketTransport(pair.Server, _platform, Options);
        await pair.Client.SendAsync("GET /next HTTP/1.1\r\n\r\n"u8.ToArray());
        Assert.That(pair.Server.Poll(Bound, SelectMode.SelectRead), Is.True, "the unread request reached the server");
        transport.HoldUntilClose();
        transport.Write("last bytes"u8);

        var closing = transport.CloseAsync(TimeSpan.FromHours(1), peerSendsNoMore: true).AsTask();
        // The half-close releases the held bytes with the FIN while the close waits for the client's end.
        var received = await pair.ReadClientToEndAsync().WaitAsync(Bound);
        Assert.That(received, Is.EqualTo("last bytes"u8.ToArray()));
        Assert.That(closing.IsCompleted, Is.False, "the close waits for the client's end");

        pair.Client.Shutdown(SocketShutdown.Send);
        await closing.WaitAsync(Bound);
        await transport.DisposeAsync();
    }
}
