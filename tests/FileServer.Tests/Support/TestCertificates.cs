using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FileServer.Tests.Support;

/// <summary>Certificates made for tests (a CA, an intermediate, a leaf) and client options that trust only a given root.</summary>
public static class TestCertificates
{
    /// <summary>TLS client options that validate the server's chain against <paramref name="trusted"/> alone, name included.</summary>
    public static SslClientAuthenticationOptions ClientOptions(X509Certificate2 trusted, string serverName = "localhost",
        SslProtocols protocols = SslProtocols.None, List<SslApplicationProtocol>? alpn = null) => new()
    {
        TargetHost = serverName,
        EnabledSslProtocols = protocols,
        ApplicationProtocols = alpn,
        CertificateChainPolicy = TrustOnly(trusted),
    };

    /// <summary>A chain policy whose only trust anchor is <paramref name="trusted"/>, no revocation checks.</summary>
    public static X509ChainPolicy TrustOnly(X509Certificate2 trusted)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.Add(trusted);
        return policy;
    }

    /// <summary>A root CA, an intermediate it signs, and a leaf for localhost/127.0.0.1 the intermediate signs.</summary>
    public static (X509Certificate2 Root, X509Certificate2 Intermediate, X509Certificate2 Leaf) CreateChain()
    {
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=FileServer Test Root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        var root = rootRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(10));

        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediateRequest = new CertificateRequest("CN=FileServer Test Intermediate", intermediateKey, HashAlgorithmName.SHA256);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        intermediateRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(intermediateRequest.PublicKey, false));
        intermediateRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        var intermediate = intermediateRequest.Create(root, now.AddDays(-1), now.AddDays(9), [1, 2, 3, 4]).CopyWithPrivateKey(intermediateKey);

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=localhost", leafKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        leafRequest.CertificateExtensions.Add(names.Build());
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(intermediate, true, false));
        var leaf = leafRequest.Create(intermediate, now.AddDays(-1), now.AddDays(8), [5, 6, 7, 8]).CopyWithPrivateKey(leafKey);
        return (root, intermediate, leaf);
    }

    /// <summary>Writes the leaf then the intermediate to <paramref name="certificatePath"/> and the leaf's key (PKCS#8 PEM) to <paramref name="keyPath"/>.</summary>
    public static void WritePem(X509Certificate2 leaf, X509Certificate2 intermediate, string certificatePath, string keyPath)
    {
        File.WriteAllText(certificatePath, leaf.ExportCertificatePem() + "\n" + intermediate.ExportCertificatePem() + "\n");
        using var key = leaf.GetECDsaPrivateKey()!;
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
    }
}
