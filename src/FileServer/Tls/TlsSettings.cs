using System.Net.Security;
using System.Security.Authentication;

namespace FileServer.Tls;

/// <summary>How TLS connections are set up: the certificate (with its chain) and the handshake's limits.</summary>
/// <param name="Certificate">The server certificate with its private key, and the intermediates sent with it.</param>
public sealed record TlsSettings(SslStreamCertificateContext Certificate)
{
    /// <summary>Time a client may take to complete the handshake before the connection is closed.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The server side of every handshake: TLS 1.2 and 1.3 only, ALPN <c>http/1.1</c> (the only protocol served),
    /// no client certificates, no renegotiation.
    /// </summary>
    public SslServerAuthenticationOptions CreateAuthenticationOptions() => new()
    {
        ServerCertificateContext = Certificate,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        ApplicationProtocols = [SslApplicationProtocol.Http11],
        ClientCertificateRequired = false,
        CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        AllowRenegotiation = false,
    };

    /// <summary>Throws <see cref="ArgumentException"/> with a one-line message for an invalid setting.</summary>
    public void Validate()
    {
        if (HandshakeTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("TLS handshake timeout must be positive");
        }
    }
}
