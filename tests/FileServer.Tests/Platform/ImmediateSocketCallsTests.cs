using System.Net;
using System.Net.Sockets;
using FileServer.Platform;
using Mono.Unix.Native;

namespace FileServer.Tests.Platform;

/// <summary>
/// The receive and send that never wait, on real loopback sockets left in blocking mode: they take what is there or
/// what fits, say -1 otherwise, report a reset, and never make the socket non-blocking.
/// </summary>
public sealed class ImmediateSocketCallsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly IPlatform _platform = PlatformDetector.Detect();

    [SetUp]
    public void OnlyWhereThePlatformHasThem() => Assume.That(_platform.Name, Is.EqualTo("posix"), "MSG_DONTWAIT is POSIX's");

    [Test]
    public async Task ReceiveNow_TakesWhatIsThere_OrSaysNothingYet_WithoutWaiting()
    {
        var (client, server) = await ConnectedPairAsync();
        using var _ = server;
        using (client)
        {
            var buffer = new byte[16];
            // Off the test's thread and bounded: a receive that waited would hang here, not pass.
            Assert.That(await Task.Run(() => _platform.ReceiveNow(server, buffer)).WaitAsync(Patience), Is.EqualTo(-1));

            await client.SendAsync("abc"u8.ToArray());
            Assert.That(server.Poll(Patience, SelectMode.SelectRead), Is.True);
            Assert.That(_platform.ReceiveNow(server, buffer), Is.EqualTo(3));
            Assert.That(buffer[..3], Is.EqualTo("abc"u8.ToArray()));

            client.Shutdown(SocketShutdown.Send);
            Assert.That(server.Poll(Patience, SelectMode.SelectRead), Is.True);
            Assert.That(_platform.ReceiveNow(server, buffer), Is.EqualTo(0), "the peer's end of stream");
            Assert.That(IsNonBlocking(server), Is.False, "the socket is left as it was");
        }
    }

    [Test]
    public async Task SendNow_TakesWhatFits_ThenSaysNoRoom_AndEveryByteArrivesInOrder()
    {
        var (client, server) = await ConnectedPairAsync();
        using (client)
        using (server)
        {
            var chunk = new byte[64 * 1024];
            long taken = 0;
            int sent;
            // The peer reads nothing, so the buffers fill within a few megabytes; the cap only bounds a broken call.
            for (var i = 0; i < 10_000 && (sent = await Task.Run(() => _platform.SendNow(server, Pattern(chunk, taken))).WaitAsync(Patience)) > 0; i++)
            {
                taken += sent;
            }
            Assert.That(taken, Is.GreaterThan(0));
            Assert.That(_platform.SendNow(server, chunk), Is.EqualTo(-1), "no room: -1, not a wait");
            Assert.That(IsNonBlocking(server), Is.False, "the socket is left as it was");

            server.Shutdown(SocketShutdown.Send);
            var received = new byte[taken + 1];
            long filled = 0;
            int read;
            while ((read = await client.ReceiveAsync(received.AsMemory((int)filled)).AsTask().WaitAsync(Patience)) > 0)
            {
                filled += read;
            }
            Assert.That(filled, Is.EqualTo(taken));
            for (long at = 0; at < taken; at += 4093)
            {
                Assert.That(received[at], Is.EqualTo((byte)(at % 251)), $"byte {at}");
            }
        }
    }

    [Test]
    public async Task APeersReset_IsASocketException_ForBoth()
    {
        var (client, server) = await ConnectedPairAsync();
        using (server)
        {
            // A close with lingering off and zero time sends a reset.
            client.LingerState = new LingerOption(true, 0);
            client.Dispose();
            Assert.That(server.Poll(Patience, SelectMode.SelectRead), Is.True);

            var receive = Assert.Throws<SocketException>(() => _platform.ReceiveNow(server, new byte[16]));
            Assert.That(receive!.SocketErrorCode, Is.EqualTo(SocketError.ConnectionReset));
            var send = Assert.Throws<SocketException>(() => _platform.SendNow(server, new byte[16]));
            Assert.That(send!.SocketErrorCode, Is.AnyOf(SocketError.ConnectionReset, SocketError.Shutdown));
        }
    }

    // Bytes whose value says where they are in the stream: (offset % 251).
    private static byte[] Pattern(byte[] chunk, long from)
    {
        for (var i = 0; i < chunk.Length; i++)
        {
            chunk[i] = (byte)((from + i) % 251);
        }
        return chunk;
    }

    private static bool IsNonBlocking(Socket socket) =>
        (Syscall.fcntl((int)socket.SafeHandle.DangerousGetHandle(), FcntlCommand.F_GETFL) & (int)OpenFlags.O_NONBLOCK) != 0;

    // A loopback client and the server's accepted socket, which .NET leaves blocking until its first asynchronous use.
    private static async Task<(Socket Client, Socket Server)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!).WaitAsync(Patience);
        var server = listener.Accept();
        return (client, server);
    }
}
