using System.Net.Security;
using System.Security.Authentication;

namespace FileServer.Tls;

/// <summary>How TLS connections are set up: the certificate (with its chain) and the protocols offered.</summary>
/// <param name="Certificate">The server certificate with its private key, and the intermediates sent with it.</param>
public sealed record TlsSettings(SslStreamCertificateContext Certificate)
{
    /// <summary>
    /// The server side of every handshake: TLS 1.2 and 1.3 only, ALPN <c>http/1.1</c> (the only protocol served),
    /// no client certificates, no renegotiation.
    /// </summary>
    internal SslServerAuthenticationOptions CreateAuthenticationOptions() => new()
    {
        ServerCertificateContext = Certificate,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        ApplicationProtocols = [SslApplicationProtocol.Http11],
        ClientCertificateRequired = false,
        CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        AllowRenegotiation = false,
    };
}
