using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FileServer.Tls;

/// <summary>Where a server certificate comes from: PEM files, a PKCS#12 file, or made in memory for development.</summary>
public static class TlsCertificates
{
    /// <summary>
    /// Loads a PEM certificate file (the server's certificate first, then any intermediates, all of which are sent
    /// to clients) and its PEM private key.
    /// </summary>
    /// <exception cref="TlsCertificateException">A file is missing or unreadable, or the key does not match.</exception>
    public static SslStreamCertificateContext LoadPem(string certificatePath, string keyPath)
    {
        RequireFile(certificatePath, "certificate");
        RequireFile(keyPath, "key");
        X509Certificate2 leaf;
        var chain = new X509Certificate2Collection();
        try
        {
            leaf = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            chain.ImportFromPemFile(certificatePath);
        }
        catch (ArgumentException e)
        {
            // .NET reports a key that belongs to another certificate, or an encrypted key, as an argument error.
            throw new TlsCertificateException($"cannot use key '{keyPath}' with certificate '{certificatePath}': {OneLine(e)}", e);
        }
        catch (CryptographicException e)
        {
            throw new TlsCertificateException($"cannot load TLS certificate '{certificatePath}' with key '{keyPath}': {OneLine(e)}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TlsCertificateException($"cannot read TLS certificate '{certificatePath}' or key '{keyPath}': {OneLine(e)}", e);
        }
        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in chain)
        {
            if (!certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
            {
                intermediates.Add(certificate);
            }
        }
        return Context(leaf, intermediates);
    }

    /// <summary>Loads a PKCS#12 (.pfx/.p12) file holding the certificate, its key and optionally its chain.</summary>
    /// <exception cref="TlsCertificateException">The file is missing, the password wrong, or no certificate has a key.</exception>
    public static SslStreamCertificateContext LoadPkcs12(string path, string? password)
    {
        RequireFile(path, "PKCS#12");
        X509Certificate2Collection all;
        try
        {
            all = X509CertificateLoader.LoadPkcs12CollectionFromFile(path, password);
        }
        catch (CryptographicException e)
        {
            throw new TlsCertificateException($"cannot load PKCS#12 file '{path}' (wrong password?): {OneLine(e)}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TlsCertificateException($"cannot read PKCS#12 file '{path}': {OneLine(e)}", e);
        }
        var leaf = all.FirstOrDefault(c => c.HasPrivateKey)
            ?? throw new TlsCertificateException($"PKCS#12 file '{path}' holds no certificate with a private key");
        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            if (!ReferenceEquals(certificate, leaf))
            {
                intermediates.Add(certificate);
            }
        }
        return Context(leaf, intermediates);
    }

    /// <summary>
    /// Makes a self-signed ECDSA P-256 certificate for <c>localhost</c>, <c>127.0.0.1</c> and <c>::1</c>, valid from
    /// a day ago for 30 days: for development and test scripts, which trust it by its PEM or fingerprint.
    /// </summary>
    internal static X509Certificate2 CreateSelfSigned(TimeProvider clock)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost, O=FileServer development certificate", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        // Clients that are given this certificate as their trust anchor (curl --cacert) accept it as its own issuer.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = clock.GetUtcNow();
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
    }

    /// <summary>A certificate context for a certificate made by <see cref="CreateSelfSigned"/> (no intermediates).</summary>
    internal static SslStreamCertificateContext ForSelfSigned(X509Certificate2 certificate) => Context(certificate, []);

    /// <summary>The SHA-256 fingerprint as <c>openssl x509 -fingerprint -sha256</c> prints it (colon-separated hex).</summary>
    internal static string Fingerprint(X509Certificate2 certificate) =>
        string.Join(':', certificate.GetCertHash(HashAlgorithmName.SHA256).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

    private static SslStreamCertificateContext Context(X509Certificate2 leaf, X509Certificate2Collection intermediates)
    {
        if (!leaf.HasPrivateKey)
        {
            throw new TlsCertificateException($"certificate '{leaf.Subject}' has no private key");
        }
        // offline: the chain is what the files hold; never fetch intermediates from the network.
        return SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }

    private static void RequireFile(string path, string what)
    {
        if (!File.Exists(path))
        {
            throw new TlsCertificateException($"TLS {what} file '{path}' does not exist");
        }
    }

    private static string OneLine(Exception e) => e.Message.ReplaceLineEndings(" ").Trim();
}
