using System.Net.Sockets;
using FileServer.Platform;

namespace FileServer.Transport;

/// <summary>Makes the transport for each accepted socket of one listener: plain TCP or TLS.</summary>
internal interface ITransportFactory
{
    /// <summary>The URL scheme the transports speak: <c>http</c> or <c>https</c>.</summary>
    string Scheme { get; }

    /// <summary>Takes ownership of <paramref name="socket"/> and wraps it in a transport whose timeouts run on <paramref name="clock"/>.</summary>
    BufferedTransport Create(Socket socket, IPlatform platform, TransportOptions options, TimeProvider clock);
}

/// <summary>
/// Plain TCP transports, which can send files zero-copy; their reads resume where <paramref name="resumption"/> says, and
/// a loopback body shares the cores under <paramref name="sendBuffer"/>.
/// </summary>
internal sealed class SocketTransportFactory(ReadResumption? resumption = null, SharedLoopbackSendBuffer? sendBuffer = null) : ITransportFactory
{
    /// <inheritdoc />
    public string Scheme => "http";

    /// <inheritdoc />
    public BufferedTransport Create(Socket socket, IPlatform platform, TransportOptions options, TimeProvider clock) =>
        new SocketTransport(socket, platform, options, clock, resumption, sendBuffer);
}
