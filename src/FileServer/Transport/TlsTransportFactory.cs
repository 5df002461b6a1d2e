using System.Net.Security;
using System.Net.Sockets;
using FileServer.Platform;

namespace FileServer.Transport;

/// <summary>
/// TLS transports with one set of handshake options. A class of its own so that a server without TLS never
/// loads the TLS and cryptography assemblies (about 2 MiB of resident memory).
/// </summary>
internal sealed class TlsTransportFactory(SslServerAuthenticationOptions authentication) : ITransportFactory
{
    /// <inheritdoc />
    public string Scheme => "https";

    /// <inheritdoc />
    public BufferedTransport Create(Socket socket, IPlatform platform, TransportOptions options, TimeProvider clock) => new TlsTransport(socket, platform, options, authentication, clock);
}
