using System.Net;
using System.Net.Sockets;
using FileServer.Hosting;
using FileServer.Platform;

namespace FileServer.Tests.Hosting;

/// <summary>
/// One listening socket per address, shared by the socket engine threads as descriptors of their own, bound on real
/// loopback sockets: every descriptor accepts from the one queue, closing the listener frees the port, and the port is
/// never another process's.
/// </summary>
public sealed class SharedListenerTests
{
    private readonly IPlatform _platform = PlatformDetector.Detect();

    [Test]
    public async Task EveryDescriptor_AcceptsFromTheOneQueue()
    {
        Assume.That(_platform.Name, Is.EqualTo("posix"), "descriptors are shared through POSIX dup");
        using var listener = Bind(port: 0, socketsPerAddress: 2);
        Assert.That(listener.Sockets, Has.Count.EqualTo(2));
        Assert.That(listener.Sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port), Has.All.EqualTo(listener.EndPoint.Port));

        // Sockets bound apart with SO_REUSEPORT each have a queue of their own, which the kernel fills by a hash of
        // the client's address: asked in turn, one of them would find its queue empty about every other client.
        for (var i = 0; i < 20; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(listener.EndPoint).WaitAsync(TimeSpan.FromSeconds(10));
            // Deferred accept: a client is handed over with its first bytes.
            await client.SendAsync("GET / HTTP/1.1\r\n"u8.ToArray());
            using var accepted = await listener.Sockets[i % 2].AcceptAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.That(accepted.RemoteEndPoint, Is.EqualTo(client.LocalEndPoint), $"client {i}, descriptor {i % 2}");
        }
    }

    [Test]
    public void DisposingTheListener_ClosesEveryDescriptor_AndFreesThePort()
    {
        Assume.That(_platform.Name, Is.EqualTo("posix"), "descriptors are shared through POSIX dup");
        var listener = Bind(port: 0, socketsPerAddress: 3);
        var port = listener.EndPoint.Port;
        listener.Dispose();

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = Assert.Throws<SocketException>(() => client.Connect(new IPEndPoint(IPAddress.Loopback, port)));
        Assert.That(refused!.SocketErrorCode, Is.EqualTo(SocketError.ConnectionRefused), "a descriptor left open would keep the port listening");
        using var again = Bind(port, socketsPerAddress: 2);
        Assert.That(again.EndPoint.Port, Is.EqualTo(port));
    }

    [Test]
    public void APortInUse_IsRefused()
    {
        Assume.That(_platform.Name, Is.EqualTo("posix"), "descriptors are shared through POSIX dup");
        using var first = Bind(port: 0, socketsPerAddress: 2);

        var second = Assert.Throws<StartupException>(() => Bind(first.EndPoint.Port, socketsPerAddress: 2).Dispose());

        Assert.That(second!.Message, Does.Contain("address already in use"));
    }

    [Test]
    public void AnyFreePort_IsNeverOneAnotherServerShares()
    {
        Assume.That(_platform.Name, Is.EqualTo("posix"), "descriptors are shared through POSIX dup");
        using var first = Bind(port: 0, socketsPerAddress: 2);
        var others = new List<Listener>();
        try
        {
            for (var i = 0; i < 100; i++)
            {
                others.Add(Bind(port: 0, socketsPerAddress: 2));
            }
            Assert.That(others.Select(o => o.EndPoint.Port), Has.None.EqualTo(first.EndPoint.Port));
        }
        finally
        {
            foreach (var other in others)
            {
                other.Dispose();
            }
        }
    }

    [Test]
    public void OneSocketPerAddress_BindsOne()
    {
        using var listener = Bind(port: 0, socketsPerAddress: 1);
        Assert.That(listener.Sockets, Has.Count.EqualTo(1));
    }

    private Listener Bind(int port, int socketsPerAddress) =>
        new ListenerBinder(new FileServerOptions { Root = "/", Port = port }, _platform, socketsPerAddress: socketsPerAddress).BindAll().Single();
}
