using FileServer.Tests.Support;

namespace FileServer.Tests.Integration;

/// <summary>
/// Every byte arrives right, on both body paths and over TLS (where sendfile cannot apply), and the access log
/// names the path that really ran.
/// </summary>
[TestFixture(false, false, "sendfile")]
[TestFixture(true, false, "copy")]
[TestFixture(false, true, "copy")]
public class BodyIntegrityTests(bool disableSendFile, bool tls, string expectedPath)
{
    private TempTree _tree = null!;
    private TestServer _server = null!;
    private readonly Dictionary<int, string> _hashes = [];

    private static readonly int[] Sizes = [0, 1, 65535, 65536, 65537, 10 * 1024 * 1024];

    [OneTimeSetUp]
    public void StartServer()
    {
        _tree = new TempTree();
        foreach (var size in Sizes)
        {
            _hashes[size] = _tree.WriteRandom($"f{size}.bin", size, seed: size);
        }
        _server = TestServer.Start(_tree.Root, tls, o => o with { DisableSendFile = disableSendFile });
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        await _server.DisposeAsync();
        _tree.Dispose();
    }

    [TestCaseSource(nameof(Sizes))]
    public void Get_ReturnsByteIdenticalBody(int size)
    {
        using var connection = _server.Connect();
        var response = connection.Get($"/f{size}.bin");
        Assert.Multiple(() =>
        {
            Assert.That(response.Status, Is.EqualTo(200));
            Assert.That(response.Header("Content-Length"), Is.EqualTo(size.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(response.BodyLength, Is.EqualTo(size));
            Assert.That(response.BodySha256, Is.EqualTo(_hashes[size]));
        });
    }

    [Test]
    public void AccessLog_NamesTheBodyPathThatRan()
    {
        using (var connection = _server.Connect())
        {
            Assert.That(connection.Get("/f65537.bin?path-check").Status, Is.EqualTo(200));
            Assert.That(connection.Get("/f65537.bin?path-check").Status, Is.EqualTo(200));
            // A connection logs a response before it reads the next request: this answer proves both are logged.
            connection.Get("/f1.bin");
        }
        var entries = _server.Logs.Access.Where(l => ((string)l.Values["Target"]!).EndsWith("?path-check", StringComparison.Ordinal)).ToList();
        Assert.That(entries, Has.Count.EqualTo(2));
        Assert.That(entries.Select(e => e.Values["BodyPath"]), Is.All.EqualTo(expectedPath));
        Assert.That(entries.Select(e => e.Values["Bytes"]), Is.All.EqualTo(65537L));
    }

    [Test]
    public void HundredRequestsOnOneConnection_AllSucceed()
    {
        using var connection = _server.Connect();
        for (var i = 0; i < 100; i++)
        {
            var size = Sizes[i % Sizes.Length] == 10 * 1024 * 1024 ? 65536 : Sizes[i % Sizes.Length];
            var response = connection.Get($"/f{size}.bin");
            Assert.That(response.BodySha256, Is.EqualTo(_hashes[size]), $"request {i}");
            Assert.That(response.Header("Connection"), Is.Null, "HTTP/1.1 keeps the connection without saying so");
        }
    }

    [Test]
    public void ThreePipelinedRequests_AreAnsweredInOrder()
    {
        using var connection = _server.Connect();
        connection.Send("GET /f65535.bin HTTP/1.1\r\nHost: x\r\n\r\nHEAD /f1.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /f65537.bin HTTP/1.1\r\nHost: x\r\n\r\n");
        var first = connection.ReadResponse();
        var second = connection.ReadResponse(isHead: true);
        var third = connection.ReadResponse();
        Assert.Multiple(() =>
        {
            Assert.That(first.BodySha256, Is.EqualTo(_hashes[65535]));
            Assert.That(second.Header("Content-Length"), Is.EqualTo("1"));
            Assert.That(third.BodySha256, Is.EqualTo(_hashes[65537]));
        });
    }

    [Test]
    public void Head_HasTheHeadersOfGet_AndNoBody()
    {
        using var connection = _server.Connect();
        connection.Send("HEAD /f65536.bin HTTP/1.1\r\nHost: x\r\n\r\n");
        var head = connection.ReadResponse(isHead: true);
        // If HEAD had sent a body, it would be read here as the next response's status line.
        var get = connection.Get("/f1.bin");
        Assert.Multiple(() =>
        {
            Assert.That(head.Status, Is.EqualTo(200));
            Assert.That(head.Header("Content-Length"), Is.EqualTo("65536"));
            Assert.That(head.Header("ETag"), Is.Not.Null);
            Assert.That(head.Header("Last-Modified"), Is.Not.Null);
            Assert.That(head.Header("Accept-Ranges"), Is.EqualTo("bytes"));
            Assert.That(get.StatusLine, Is.EqualTo("HTTP/1.1 200 OK"));
            Assert.That(get.BodySha256, Is.EqualTo(_hashes[1]));
        });
    }
}
