using System.Net;
using System.Net.Sockets;
using FileServer.Hosting;
using FileServer.Platform;

namespace FileServer.Tests.Hosting;

/// <summary>
/// Several listening sockets on one address (one per socket engine thread), bound on real loopback sockets: they share
/// the port and its clients, and never another process's.
/// </summary>
public sealed class SharedPortTests
{
    private readonly IPlatform _platform = PlatformDetector.Detect();

    [Test]
    public async Task EverySocket_BindsTheOnePort_AndGetsAShareOfTheClients()
    {
        Assume.That(_platform.Name, Is.EqualTo("posix"), "SO_REUSEPORT is Linux's");
        var listener = Bind(port: 0, socketsPerAddress: 2);
        try
        {
            Assert.That(listener.Sockets, Has.Count.EqualTo(2));
            Assert.That(listener.Sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port), Has.All.EqualTo(listener.EndPoint.Port));

            // The kernel spreads clients by a hash of their addresses: some hundreds of clients reach both sockets
            // unless the spreading is broken (all on one: a chance of 2^-199 with 200).
            var accepted = new int[2];
            var pending = listener.Sockets.Select(s => s.AcceptAsync()).ToArray();
            for (var i = 0; i < 200 && accepted.Contains(0); i++)
            {
                using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await client.ConnectAsync(listener.EndPoint).WaitAsync(TimeSpan.FromSeconds(10));
                // Deferred accept: a client is handed over with its first bytes.
                await client.SendAsync("GET / HTTP/1.1\r\n"u8.ToArray());
                var done = await Task.WhenAny(pending).WaitAsync(TimeSpan.FromSeconds(10));
                var which = Array.IndexOf(pending, done);
                (await done).Dispose();
                accepted[which]++;
                pending[which] = listener.Sockets[which].AcceptAsync();
            }
            Assert.That(accepted, Has.All.GreaterThan(0), $"clients accepted per socket: {string.Join(", ", accepted)}");
        }
        finally
        {
            listener.Dispose();
        }
    }

    [Test]
    public void APortInUse_IsRefused_EvenByAServerThatWouldShareIt()
    {
        Assume.That(_platform.Name, Is.EqualTo("posix"), "SO_REUSEPORT is Linux's");
        using var first = Bind(port: 0, socketsPerAddress: 2);

        var second = Assert.Throws<StartupException>(() => Bind(first.EndPoint.Port, socketsPerAddress: 2).Dispose());

        Assert.That(second!.Message, Does.Contain("address already in use"));
    }

    [Test]
    public void AnyFreePort_IsNeverOneAnotherServerShares()
    {
        Assume.That(_platform.Name, Is.EqualTo("posix"), "SO_REUSEPORT is Linux's");
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
