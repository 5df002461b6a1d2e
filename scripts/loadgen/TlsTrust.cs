using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace LoadGen;

/// <summary>
/// How a TLS client judges the server's certificate. With <c>--ca FILE</c> (PEM), the chain must end at a
/// certificate of FILE and the certificate must name the URL's host; a self-signed server certificate is its
/// own anchor (what --tls-cert-out writes, or an openssl req -x509 certificate). Without it any certificate is
/// accepted: the load runs on loopback against a server the script started itself, and what is measured is
/// the server's cost, not the client's trust decision.
/// </summary>
internal sealed class TlsTrust
{
    private readonly X509Certificate2Collection? _anchors;

    private TlsTrust(X509Certificate2Collection? anchors) => _anchors = anchors;

    public static TlsTrust AnyCertificate { get; } = new(null);

    /// <summary>From <c>--ca FILE</c>, or <see cref="AnyCertificate"/> when the option is absent.</summary>
    public static TlsTrust FromArgs(Args args)
    {
        var path = args.Text("ca");
        if (path is null)
        {
            return AnyCertificate;
        }
        var anchors = new X509Certificate2Collection();
        try
        {
            anchors.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new UsageException($"--ca: cannot read certificates from '{path}': {e.Message}");
        }
        if (anchors.Count == 0)
        {
            throw new UsageException($"--ca: no certificate in '{path}'");
        }
        return new TlsTrust(anchors);
    }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_anchors is null)
        {
            return true;
        }
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_anchors);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            // The intermediates the server sent.
            foreach (var element in chain.ChainElements.Skip(1))
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf);
    }
}
