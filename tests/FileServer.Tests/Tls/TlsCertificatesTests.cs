using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FileServer.Tests.Support;
using FileServer.Tls;

namespace FileServer.Tests.Tls;

/// <summary>Loading certificates from PEM and PKCS#12 files, and the development certificate, with one-line errors.</summary>
public class TlsCertificatesTests
{
    private TempTree _tree = null!;

    [SetUp]
    public void CreateTree() => _tree = new TempTree();

    [TearDown]
    public void RemoveTree() => _tree.Dispose();

    [Test]
    public void Pem_WithAChain_KeepsTheIntermediateToSend()
    {
        var (_, intermediate, leaf) = TestCertificates.CreateChain();
        TestCertificates.WritePem(leaf, intermediate, _tree.PathOf("cert.pem"), _tree.PathOf("key.pem"));

        var context = TlsCertificates.LoadPem(_tree.PathOf("cert.pem"), _tree.PathOf("key.pem"));

        Assert.That(context.TargetCertificate.Thumbprint, Is.EqualTo(leaf.Thumbprint));
        Assert.That(context.TargetCertificate.HasPrivateKey, Is.True);
        Assert.That(context.IntermediateCertificates.Select(c => c.Thumbprint), Does.Contain(intermediate.Thumbprint));
    }

    [Test]
    public void Pem_WithAKeyOfAnotherCertificate_IsAOneLineError()
    {
        var (_, intermediate, leaf) = TestCertificates.CreateChain();
        TestCertificates.WritePem(leaf, intermediate, _tree.PathOf("cert.pem"), _tree.PathOf("key.pem"));
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(_tree.PathOf("other.pem"), other.ExportPkcs8PrivateKeyPem());

        var error = Assert.Throws<TlsCertificateException>(() => TlsCertificates.LoadPem(_tree.PathOf("cert.pem"), _tree.PathOf("other.pem")));
        Assert.That(error!.Message, Does.Contain("cert.pem").And.Not.Contain("\n"));
    }

    [TestCase("cert")]
    [TestCase("key")]
    public void Pem_WithAMissingFile_NamesIt(string missing)
    {
        var (_, intermediate, leaf) = TestCertificates.CreateChain();
        TestCertificates.WritePem(leaf, intermediate, _tree.PathOf("cert.pem"), _tree.PathOf("key.pem"));
        File.Delete(_tree.PathOf($"{missing}.pem"));

        var error = Assert.Throws<TlsCertificateException>(() => TlsCertificates.LoadPem(_tree.PathOf("cert.pem"), _tree.PathOf("key.pem")));
        Assert.That(error!.Message, Does.Contain($"{missing}.pem").And.Contain("does not exist"));
    }

    [Test]
    public void Pem_ThatIsNotACertificate_IsAOneLineError()
    {
        File.WriteAllText(_tree.PathOf("cert.pem"), "not a certificate\n");
        File.WriteAllText(_tree.PathOf("key.pem"), "not a key\n");
        var error = Assert.Throws<TlsCertificateException>(() => TlsCertificates.LoadPem(_tree.PathOf("cert.pem"), _tree.PathOf("key.pem")));
        Assert.That(error!.Message, Does.Not.Contain("\n"));
    }

    [Test]
    public void Pkcs12_WithItsPassword_Loads_AndAWrongPasswordIsAnError()
    {
        var (_, intermediate, leaf) = TestCertificates.CreateChain();
        var bundle = new X509Certificate2Collection { leaf, intermediate };
        File.WriteAllBytes(_tree.PathOf("server.pfx"), bundle.Export(X509ContentType.Pfx, "s3cret")!);

        var context = TlsCertificates.LoadPkcs12(_tree.PathOf("server.pfx"), "s3cret");
        Assert.That(context.TargetCertificate.Thumbprint, Is.EqualTo(leaf.Thumbprint));
        Assert.That(context.IntermediateCertificates.Select(c => c.Thumbprint), Does.Contain(intermediate.Thumbprint));

        var error = Assert.Throws<TlsCertificateException>(() => TlsCertificates.LoadPkcs12(_tree.PathOf("server.pfx"), "wrong"));
        Assert.That(error!.Message, Does.Contain("server.pfx").And.Not.Contain("\n"));
    }

    [Test]
    public void SelfSigned_CoversTheLoopbackNames_AndIsValidNow()
    {
        using var certificate = TlsCertificates.CreateSelfSigned(TimeProvider.System);
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Multiple(() =>
        {
            Assert.That(names.EnumerateDnsNames().ToList(), Is.EqualTo((List<string>)["localhost"]));
            Assert.That(names.EnumerateIPAddresses(), Is.EquivalentTo(new[] { IPAddress.Loopback, IPAddress.IPv6Loopback }));
            Assert.That(certificate.HasPrivateKey, Is.True);
            Assert.That(certificate.NotBefore, Is.LessThan(DateTime.Now));
            Assert.That(certificate.NotAfter, Is.GreaterThan(DateTime.Now.AddDays(7)));
        });
    }

    [Test]
    public void Fingerprint_IsTheSha256OfTheCertificate_ColonSeparated()
    {
        using var certificate = TlsCertificates.CreateSelfSigned(TimeProvider.System);
        var expected = Convert.ToHexString(SHA256.HashData(certificate.RawData));
        var fingerprint = TlsCertificates.Fingerprint(certificate);
        Assert.That(fingerprint.Replace(":", "", StringComparison.Ordinal), Is.EqualTo(expected));
        Assert.That(fingerprint.Split(':'), Has.Length.EqualTo(32));
    }
}
