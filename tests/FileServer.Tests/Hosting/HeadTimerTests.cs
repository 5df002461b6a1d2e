using System.Net.Sockets;
using System.Text;
using FileServer.Hosting;
using FileServer.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileServer.Tests.Hosting;

/// <summary>
/// The idle and header timeouts' timer is made only for a read that has to wait: a connection whose request is there
/// when it is read (a new connection's, with the deferred accept) is served without one; one whose head comes in
/// pieces gets one, and is still answered whole.
/// </summary>
public sealed class HeadTimerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static async Task<string> ExchangeAsync(FileServerHost host, params string[] parts)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(host.LocalEndPoint);
        foreach (var part in parts)
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes(part), SocketFlags.None);
        }
        using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync().WaitAsync(Bound);
    }

    [Test]
    public async Task RequestThereOnArrival_MakesNoTimer_AHeadInPiecesMakesOne()
    {
        Assume.That(OperatingSystem.IsLinux(), "the deferred accept (TCP_DEFER_ACCEPT) is Linux's");
        using var tree = new TempTree();
        tree.WriteText("small.txt", "small");
        var clock = new CountingTimeProvider();
        await using var host = new FileServerHost(new FileServerOptions { Root = tree.Root, Port = 0 }, NullLoggerFactory.Instance, null, clock);
        host.Start();
        const string Request = "GET /small.txt HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
        // The server's own timers (watchdog, trim, cache sweep) are made by the first connection.
        Assert.That(await ExchangeAsync(host, Request), Does.EndWith("\r\n\r\nsmall"));
        var before = clock.CreatedTimers;

        for (var i = 0; i < 20; i++)
        {
            Assert.That(await ExchangeAsync(host, Request), Does.StartWith("HTTP/1.1 200 ").And.EndWith("\r\n\r\nsmall"));
        }
        Assert.That(clock.CreatedTimers, Is.EqualTo(before), "twenty requests there on arrival: no timer made");

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(host.LocalEndPoint);
        await socket.SendAsync(Encoding.ASCII.GetBytes(Request[..20]), SocketFlags.None);
        Assert.That(() => clock.CreatedTimers, Is.EqualTo(before + 1).After(10_000, 10), "a head that stops halfway waits under a timer");
        await socket.SendAsync(Encoding.ASCII.GetBytes(Request[20..]), SocketFlags.None);
        using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        Assert.That(await reader.ReadToEndAsync().WaitAsync(Bound), Does.StartWith("HTTP/1.1 200 ").And.EndWith("\r\n\r\nsmall"));
    }
}
