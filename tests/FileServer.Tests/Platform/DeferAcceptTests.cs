using System.Net;
using System.Net.Sockets;
using FileServer.Platform;

namespace FileServer.Tests.Platform;

/// <summary>A deferred accept on a real loopback listener: held while the client is silent, handed over on its first bytes.</summary>
public class DeferAcceptTests
{
    private readonly IPlatform _platform = PlatformDetector.Detect();

    [Test]
    public async Task SilentClient_IsHeldBack_UntilItsFirstBytesArrive()
    {
        Assume.That(_platform.Name, Is.EqualTo("posix"), "TCP_DEFER_ACCEPT is Linux's");
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(8);
        _platform.DeferAccept(listener, TimeSpan.FromSeconds(5));

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!).WaitAsync(TimeSpan.FromSeconds(10));
        // The client's handshake is complete, yet the listener has nothing to accept: a non-event, bounded by the
        // poll (well inside the 5 s after which the kernel would hand the connection over anyway).
        Assert.That(listener.Poll(TimeSpan.FromMilliseconds(500), SelectMode.SelectRead), Is.False, "a silent client is not handed over");

        await client.SendAsync("GET / HTTP/1.1\r\n"u8.ToArray());
        Assert.That(listener.Poll(TimeSpan.FromSeconds(10), SelectMode.SelectRead), Is.True, "its first bytes hand it over");
        using var accepted = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var buffer = new byte[64];
        Assert.That(accepted.Available, Is.GreaterThan(0), "the request is there to read at once");
        Assert.That(await accepted.ReceiveAsync(buffer), Is.EqualTo(16));
    }

    [Test]
    public void Listener_ReportsTheDeferral_InWholeSeconds()
    {
        Assume.That(_platform.Name, Is.EqualTo("posix"), "TCP_DEFER_ACCEPT is Linux's");
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(8);
        var value = new byte[sizeof(int)];

        _platform.DeferAccept(listener, TimeSpan.FromMilliseconds(200));

        listener.GetRawSocketOption(6, 9, value);
        Assert.That(BitConverter.ToInt32(value), Is.GreaterThanOrEqualTo(1), "a sub-second wait becomes at least one second, never 0 (off)");
    }
}
