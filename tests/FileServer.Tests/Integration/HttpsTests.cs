using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using FileServer.Hosting;
using FileServer.Tests.Support;
using FileServer.Tls;

namespace FileServer.Tests.Integration;

/// <summary>HTTPS as clients see it: protocol versions, ALPN, certificate chains, both listeners, and clients that are not TLS.</summary>
public class HttpsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private TempTree _tree = null!;
    private string _hash = null!;

    [OneTimeSetUp]
    public void CreateTree()
    {
        _tree = new TempTree();
        _hash = _tree.WriteRandom("f.bin", 200_000, seed: 9);
    }

    [OneTimeTearDown]
    public void RemoveTree() => _tree.Dispose();

    [TestCase(SslProtocols.Tls12)]
    [TestCase(SslProtocols.Tls13)]
    public async Task TlsVersion_IsNegotiated_AndTheBodyArrives(SslProtocols protocol)
    {
        await using var server = TestServer.Start(_tree.Root, tls: true);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(TestCertificates.ClientOptions(server.Certificate!, protocols: protocol,
            alpn: [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11]));

        Assert.That(tls.SslProtocol, Is.EqualTo(protocol));
        Assert.That(tls.NegotiatedApplicationProtocol, Is.EqualTo(SslApplicationProtocol.Http11), "HTTP/1.1 is the only protocol served");
        await tls.WriteAsync("GET /f.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"u8.ToArray());
        using var response = new MemoryStream();
        await tls.CopyToAsync(response).WaitAsync(Bound);
        var text = Encoding.Latin1.GetString(response.ToArray());
        Assert.That(text, Does.StartWith("HTTP/1.1 200 OK\r\n"));
        Assert.That(text, Does.Contain("Content-Length: 200000\r\n"));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(65535)]
    [TestCase(65536)]
    [TestCase(65537)]
    [TestCase(10 * 1024 * 1024)]
    public async Task HttpClient_GetsByteIdenticalBodies(int size)
    {
        var hash = _tree.WriteRandom($"size{size}.bin", size, seed: size);
        await using var server = TestServer.Start(_tree.Root, tls: true);
        using var client = server.CreateHttpClient();
        using var response = await client.GetAsync($"/size{size}.bin");
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(size));
            Assert.That(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body)), Is.EqualTo(hash));
        });
    }

    [Test]
    public async Task HttpClient_KeepsOneConnectionForManyRequests()
    {
        await using var server = TestServer.Start(_tree.Root, tls: true);
        var connects = 0;
        var handler = new SocketsHttpHandler
        {
            SslOptions = TestCertificates.ClientOptions(server.Certificate!),
            ConnectCallback = async (context, token) =>
            {
                Interlocked.Increment(ref connects);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = server.Host.Url };
        for (var i = 0; i < 20; i++)
        {
            var body = await client.GetByteArrayAsync("/f.bin");
            Assert.That(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body)), Is.EqualTo(_hash), $"request {i}");
        }
        Assert.That(connects, Is.EqualTo(1));
    }

    [Test]
    public async Task PemChain_IsSent_SoAClientTrustingOnlyTheRootAccepts()
    {
        var (root, intermediate, leaf) = TestCertificates.CreateChain();
        TestCertificates.WritePem(leaf, intermediate, _tree.PathOf("chain-cert.pem"), _tree.PathOf("chain-key.pem"));
        var settings = new TlsSettings(TlsCertificates.LoadPem(_tree.PathOf("chain-cert.pem"), _tree.PathOf("chain-key.pem")));
        await using var server = TestServer.Start(_tree.Root, o => o with { Tls = settings });

        using var client = new HttpClient(new SocketsHttpHandler { SslOptions = TestCertificates.ClientOptions(root) })
        {
            BaseAddress = server.Host.Url,
        };
        using var response = await client.GetAsync("/f.bin");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(server.Host.Url.Scheme, Is.EqualTo("https"));
    }

    [Test]
    public async Task TlsPort_ListensBesidePlainHttp_HttpsFirst()
    {
        await using var server = TestServer.Start(_tree.Root, tls: true, o => o with { TlsPort = 0 });
        var urls = server.Host.Urls;
        Assert.That(urls.Select(u => u.Scheme).ToList(), Is.EqualTo((List<string>)["https", "http"]));

        using (var secure = server.Connect())
        {
            Assert.That(secure.Tls, Is.Not.Null);
            Assert.That(secure.Get("/f.bin?over-tls").BodySha256, Is.EqualTo(_hash));
            secure.Get("/missing");
        }
        using (var plain = RawHttpConnection.Open(urls[1].Port))
        {
            Assert.That(plain.Get("/f.bin?over-plain").BodySha256, Is.EqualTo(_hash));
            plain.Get("/missing");
        }
        string PathOf(string target) => (string)server.Logs.Access.Single(l => (string)l.Values["Target"]! == target).Values["BodyPath"]!;
        Assert.That(PathOf("/f.bin?over-tls"), Is.EqualTo("copy"));
        Assert.That(PathOf("/f.bin?over-plain"), Is.EqualTo("sendfile"));
    }

    [Test]
    public async Task OneConnectionSlot_IsNotHeldByAnIdleListener()
    {
        await using var server = TestServer.Start(_tree.Root, tls: true, o => o with { TlsPort = 0, MaxConnections = 1 });
        var plainPort = server.Host.Urls[1].Port;
        // Both listeners share the single slot: whichever is idle must not keep it from the other's client.
        for (var i = 0; i < 3; i++)
        {
            using (var plain = RawHttpConnection.Open(plainPort))
            {
                Assert.That(plain.Get("/f.bin", "Connection: close\r\n").BodySha256, Is.EqualTo(_hash), $"plain, round {i}");
            }
            using (var secure = server.Connect())
            {
                Assert.That(secure.Get("/f.bin", "Connection: close\r\n").BodySha256, Is.EqualTo(_hash), $"TLS, round {i}");
            }
        }
    }

    [Test]
    public async Task PlainHttpToTheTlsPort_Gets400_AndTheServerKeepsServing()
    {
        await using var server = TestServer.Start(_tree.Root, tls: true);
        using (var plain = RawHttpConnection.Open(server.Port))
        {
            var response = plain.Get("/f.bin");
            Assert.That(response.Status, Is.EqualTo(400));
            Assert.That(response.BodyText, Does.Contain("HTTPS port"));
            Assert.That(FileServer.Http.HttpDate.TryParse(response.Header("Date"), out _), Is.True, "a 4xx carries Date (RFC 9110 §6.6.1)");
            Assert.That(plain.IsClosedByServer(), Is.True);
        }
        var logged = await server.Logs.WaitForEventAsync(20).WaitAsync(Bound);
        Assert.That(logged.Level, Is.EqualTo(Microsoft.Extensions.Logging.LogLevel.Debug));
        using var secure = server.Connect();
        Assert.That(secure.Get("/f.bin").BodySha256, Is.EqualTo(_hash));
    }

    [Test]
    public async Task GarbageBytes_CloseThatConnectionOnly()
    {
        await using var server = TestServer.Start(_tree.Root, tls: true);
        using (var garbage = RawHttpConnection.Open(server.Port))
        {
            garbage.Send([0x00, 0x01, 0x02, 0xff, 0xfe, 0x80]);
            Assert.That(garbage.IsClosedByServer(), Is.True);
        }
        var logged = await server.Logs.WaitForEventAsync(20).WaitAsync(Bound);
        Assert.That((string)logged.Values["Reason"]!, Does.Contain("not a TLS handshake"));
        using var secure = server.Connect();
        Assert.That(secure.Get("/f.bin").BodySha256, Is.EqualTo(_hash));
    }

    [Test]
    public async Task AClientThatStopsMidHandshake_IsClosedAfterTheHandshakeTimeout()
    {
        await using var server = TestServer.Start(_tree.Root, tls: true, o => o with { HandshakeTimeout = TimeSpan.FromMilliseconds(500) });
        using var stalled = RawHttpConnection.Open(server.Port);
        stalled.Send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]);

        Assert.That(stalled.IsClosedByServer(), Is.True, "the server closes instead of waiting for ever");
        var logged = await server.Logs.WaitForEventAsync(20).WaitAsync(Bound);
        Assert.That((string)logged.Values["Reason"]!, Is.EqualTo("handshake timed out"));
    }

    [Test]
    public async Task Stop_DuringAHandshake_DoesNotWaitForTheClient()
    {
        var server = TestServer.Start(_tree.Root, tls: true, o => o with { HandshakeTimeout = TimeSpan.FromMinutes(5), ShutdownTimeout = TimeSpan.FromMinutes(5) });
        using var stalled = RawHttpConnection.Open(server.Port);
        stalled.Send([0x16, 0x03, 0x01]);
        // Once the connection is served, stopping must end it at once, not after either 5-minute limit.
        using (var secure = server.Connect())
        {
            secure.Get("/f.bin");
        }
        await server.DisposeAsync().AsTask().WaitAsync(Bound);
        Assert.That(stalled.IsClosedByServer(), Is.True);
    }
}
