using System.Net;
using System.Net.Sockets;

namespace FileServer.Tests.Support;

/// <summary>Two connected loopback TCP sockets, with small kernel buffers so back-pressure shows quickly.</summary>
public sealed class SocketPair : IDisposable
{
    private SocketPair(Socket server, Socket client)
    {
        Server = server;
        Client = client;
    }

    public Socket Server { get; }

    public Socket Client { get; }

    public static async Task<SocketPair> CreateAsync(int bufferBytes = 8192)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        // Set before connecting, so the TCP window is negotiated small and the kernel cannot absorb megabytes.
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = bufferBytes };
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        var server = await accept;
        server.SendBufferSize = bufferBytes;
        return new SocketPair(server, client);
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes from the client side.</summary>
    public async Task<byte[]> ReadClientAsync(int count)
    {
        var buffer = new byte[count];
        var done = 0;
        while (done < count)
        {
            var read = await Client.ReceiveAsync(buffer.AsMemory(done));
            if (read == 0)
            {
                throw new EndOfStreamException($"EOF after {done} of {count} bytes");
            }
            done += read;
        }
        return buffer;
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes from the client side, at most <paramref name="step"/> bytes per receive: a slow reader.</summary>
    public async Task<byte[]> ReadClientInStepsAsync(int count, int step)
    {
        var buffer = new byte[count];
        var done = 0;
        while (done < count)
        {
            var read = await Client.ReceiveAsync(buffer.AsMemory(done, Math.Min(step, count - done)));
            if (read == 0)
            {
                throw new EndOfStreamException($"EOF after {done} of {count} bytes");
            }
            done += read;
        }
        return buffer;
    }

    /// <summary>Reads from the client side until the server closes.</summary>
    public async Task<byte[]> ReadClientToEndAsync()
    {
        var output = new MemoryStream();
        var buffer = new byte[65536];
        int read;
        while ((read = await Client.ReceiveAsync(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
        }
        return output.ToArray();
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
