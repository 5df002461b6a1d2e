using System.Diagnostics;
using FileServer.Tests.Support;

namespace FileServer.Tests.Integration;

/// <summary>Status codes, framing and connection management over a raw socket, as a client sees them.</summary>
public class ProtocolTests
{
    private TempTree _tree = null!;
    private TestServer _server = null!;

    [OneTimeSetUp]
    public void StartServer()
    {
        _tree = new TempTree();
        _tree.WriteText("root/hello.txt", "hello\n");
        _tree.WriteText("root/page.html", "<p>x</p>");
        _tree.WriteText("root/docs/index.html", "docs index");
        _tree.WriteText("root/.env", "SECRET=1");
        _tree.WriteText("outside.txt", "outside secret");
        File.CreateSymbolicLink(_tree.PathOf("root/out.txt"), _tree.PathOf("outside.txt"));
        var mkfifo = Process.Start("mkfifo", _tree.PathOf("root/fifo"));
        mkfifo.WaitForExit();
        _server = TestServer.Start(_tree.PathOf("root"));
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        await _server.DisposeAsync();
        _tree.Dispose();
    }

    private RawResponse Exchange(string request, bool isHead = false)
    {
        using var connection = _server.Connect();
        connection.Send(request);
        return connection.ReadResponse(isHead);
    }

    [Test]
    public void Get_CarriesContentTypeDateAndValidators()
    {
        var response = Exchange("GET /page.html HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Multiple(() =>
        {
            Assert.That(response.Status, Is.EqualTo(200));
            Assert.That(response.Header("Content-Type"), Is.EqualTo("text/html; charset=utf-8"));
            Assert.That(FileServer.Http.HttpDate.TryParse(response.Header("Date"), out var date), Is.True);
            Assert.That(date, Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(1)));
            Assert.That(response.Header("Last-Modified"), Is.EqualTo(FileServer.Http.HttpDate.Format(File.GetLastWriteTimeUtc(_tree.PathOf("root/page.html")))));
            Assert.That(response.Header("ETag"), Does.Match("^\"[0-9a-f]+-[0-9a-f]+\"$"));
            Assert.That(response.BodyText, Is.EqualTo("<p>x</p>"));
        });
    }

    [TestCase("GET /missing.txt HTTP/1.1\r\nHost: x\r\n\r\n", 404)]
    [TestCase("GET /.env HTTP/1.1\r\nHost: x\r\n\r\n", 404)]
    [TestCase("GET /out.txt HTTP/1.1\r\nHost: x\r\n\r\n", 404)]
    [TestCase("GET /fifo HTTP/1.1\r\nHost: x\r\n\r\n", 403)]
    [TestCase("GET /../outside.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400)]
    [TestCase("GET /%2e%2e/outside.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400)]
    [TestCase("GET /docs%2f..%2f..%2foutside.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400)]
    [TestCase("GET /hello.txt%00.html HTTP/1.1\r\nHost: x\r\n\r\n", 400)]
    [TestCase("GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400)]
    [TestCase("CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n", 400)]
    public void ErrorStatus_WithShortTextBody(string request, int status)
    {
        var response = Exchange(request);
        Assert.That(response.Status, Is.EqualTo(status));
        Assert.That(response.Header("Content-Type"), Is.EqualTo("text/plain; charset=utf-8"));
        Assert.That(response.BodyText, Does.StartWith($"{status} "));
        Assert.That(response.BodyText, Does.Not.Contain("secret").IgnoreCase);
    }

    [TestCase("POST")]
    [TestCase("PUT")]
    [TestCase("DELETE")]
    [TestCase("PATCH")]
    [TestCase("TRACE")]
    public void OtherStandardMethods_Are405WithAllow(string method)
    {
        var response = Exchange($"{method} /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        Assert.That(response.Status, Is.EqualTo(405));
        Assert.That(response.Header("Allow"), Is.EqualTo("GET, HEAD, OPTIONS"));
    }

    [TestCase("BREW")]
    [TestCase("get")]
    [TestCase("PROPFIND")]
    public void UnknownMethods_Are501_AndTheConnectionStaysUsable(string method)
    {
        using var connection = _server.Connect();
        connection.Send($"{method} /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.That(connection.ReadResponse().Status, Is.EqualTo(501));
        Assert.That(connection.Get("/hello.txt").BodyText, Is.EqualTo("hello\n"));
    }

    [Test]
    public void BinaryOnThePlainPort_GetsA400_WithoutWaitingForALineEnd()
    {
        using var connection = _server.Connect();
        connection.Send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
        Assert.That(connection.ReadResponse().Status, Is.EqualTo(400));
    }

    [TestCase("/hello.txt/")]
    [TestCase("/hello.txt/.")]
    [TestCase("/docs/index.html/")]
    public void FileAskedForAsADirectory_Is404(string path)
    {
        Assert.That(Exchange($"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").Status, Is.EqualTo(404));
    }

    [Test]
    public void Options_AnswersAllow()
    {
        var response = Exchange("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.That((response.Status, response.Header("Allow")), Is.EqualTo((204, "GET, HEAD, OPTIONS")));
    }

    [Test]
    public void DirectoryWithoutSlash_Is301ToSlash_ThenIndexIsServed()
    {
        using var connection = _server.Connect();
        var redirect = connection.Get("/docs?a=b");
        Assert.That((redirect.Status, redirect.Header("Location")), Is.EqualTo((301, "/docs/?a=b")));
        Assert.That(connection.Get("/docs/").BodyText, Is.EqualTo("docs index"));
    }

    [TestCase("GET / HTTP/1.1\r\n\r\n", 400, TestName = "MissingHost_400AndClose")]
    [TestCase("GET /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400, TestName = "ContentLengthWithTransferEncoding_400AndClose")]
    [TestCase("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, TestName = "Http2RequestLine_505AndClose")]
    [TestCase("GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400, TestName = "MalformedField_400AndClose")]
    [TestCase("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, TestName = "HostWithASpace_400AndClose")]
    [TestCase("GET / HTTP/1.1\r\nHost: x/y\r\n\r\n", 400, TestName = "HostWithASlash_400AndClose")]
    [TestCase("GET / HTTP/1.1\r\nHost: user@x\r\n\r\n", 400, TestName = "HostWithUserinfo_400AndClose")]
    [TestCase("GET / HTTP/1.1\r\nHost: x:abc\r\n\r\n", 400, TestName = "HostWithABadPort_400AndClose")]
    public void RejectedHead_GetsStatusAndConnectionClose(string request, int status)
    {
        using var connection = _server.Connect();
        connection.Send(request + "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        var response = connection.ReadResponse();
        Assert.That(response.Status, Is.EqualTo(status));
        Assert.That(response.Header("Connection"), Is.EqualTo("close"));
        Assert.That(connection.IsClosedByServer(), Is.True, "nothing after a rejected head is trusted or answered");
    }

    [Test]
    public void LongRequestLine_Is414()
    {
        var response = Exchange($"GET /{new string('a', 10_000)} HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.That(response.Status, Is.EqualTo(414));
    }

    [Test]
    public void HugeHead_Is431()
    {
        var fields = string.Concat(Enumerable.Range(0, 50).Select(i => $"X-Filler-{i}: {new string('z', 1000)}\r\n"));
        Assert.That(Exchange($"GET / HTTP/1.1\r\nHost: x\r\n{fields}\r\n").Status, Is.EqualTo(431));
    }

    [Test]
    public void TooManyFields_Is431()
    {
        var fields = string.Concat(Enumerable.Range(0, 150).Select(i => $"X-{i}: v\r\n"));
        Assert.That(Exchange($"GET / HTTP/1.1\r\nHost: x\r\n{fields}\r\n").Status, Is.EqualTo(431));
    }

    [Test]
    public void Http10_ClosesAfterResponse_ByDefault()
    {
        using var connection = _server.Connect();
        connection.Send("GET /hello.txt HTTP/1.0\r\n\r\n");
        var response = connection.ReadResponse();
        Assert.That(response.BodyText, Is.EqualTo("hello\n"));
        Assert.That(response.Header("Connection"), Is.EqualTo("close"));
        Assert.That(connection.IsClosedByServer(), Is.True);
    }

    [Test]
    public void Http10_KeepAlive_IsHonoured()
    {
        using var connection = _server.Connect();
        connection.Send("GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        var first = connection.ReadResponse();
        connection.Send("GET /hello.txt HTTP/1.0\r\n\r\n");
        var second = connection.ReadResponse();
        Assert.That(first.Header("Connection"), Is.EqualTo("keep-alive"));
        Assert.That(second.BodyText, Is.EqualTo("hello\n"));
    }

    [Test]
    public void ConnectionClose_IsHonoured()
    {
        using var connection = _server.Connect();
        var response = connection.Get("/hello.txt", "Connection: close\r\n");
        Assert.That(response.Header("Connection"), Is.EqualTo("close"));
        Assert.That(connection.IsClosedByServer(), Is.True);
    }

    [Test]
    public void BodyOnGet_IsDiscarded_AndTheConnectionStaysUsable()
    {
        using var connection = _server.Connect();
        connection.Send("GET /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nGET /x HTTP");
        Assert.That(connection.ReadResponse().BodyText, Is.EqualTo("hello\n"));
        Assert.That(connection.Get("/page.html").BodyText, Is.EqualTo("<p>x</p>"));
    }

    [Test]
    public void ExpectContinue_GetsAnImmediate100_ThenTheResponseOnceTheBodyIsIn()
    {
        using var connection = _server.Connect();
        connection.Send("GET /hello.txt HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
        Assert.That(connection.ReadResponse(isHead: true).StatusLine, Is.EqualTo("HTTP/1.1 100 Continue"));
        connection.Send("hello");
        Assert.That(connection.ReadResponse().BodyText, Is.EqualTo("hello\n"));
        Assert.That(connection.Get("/page.html").BodyText, Is.EqualTo("<p>x</p>"), "the connection stays usable");
    }

    [Test]
    public void ExpectContinue_TooLargeToDiscard_GetsTheFinalStatusAtOnce_AndACLose()
    {
        using var connection = _server.Connect();
        connection.Send("GET /hello.txt HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 100000000\r\n\r\n");
        var response = connection.ReadResponse();
        Assert.That((response.Status, response.BodyText, response.Header("Connection")), Is.EqualTo((200, "hello\n", "close")));
    }

    [Test]
    public void ExpectContinue_OnAMethodThatIsRefused_GetsTheFinalStatusAtOnce_NotA100()
    {
        using var connection = _server.Connect();
        connection.Send("POST /hello.txt HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n");
        var response = connection.ReadResponse();
        Assert.That((response.Status, response.Header("Connection")), Is.EqualTo((405, "close")));
    }

    [Test]
    public void ExpectContinue_InHttp10_IsIgnored()
    {
        using var connection = _server.Connect();
        connection.Send("GET /hello.txt HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello");
        var response = connection.ReadResponse();
        Assert.That((response.StatusLine, response.BodyText), Is.EqualTo(("HTTP/1.1 200 OK", "hello\n")));
    }

    [Test]
    public void ChunkedBodyOnGet_IsAnswered_ThenTheConnectionCloses()
    {
        using var connection = _server.Connect();
        connection.Send("GET /hello.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        var response = connection.ReadResponse();
        Assert.That(response.BodyText, Is.EqualTo("hello\n"));
        Assert.That(response.Header("Connection"), Is.EqualTo("close"));
        Assert.That(connection.IsClosedByServer(), Is.True);
    }

    [TestCase("x,y")]
    [TestCase("[::1]:8080")]
    [TestCase("127.0.0.1:80")]
    [TestCase("")]
    public void ValidHostValues_AreServed(string host)
    {
        Assert.That(Exchange($"GET /hello.txt HTTP/1.1\r\nHost: {host}\r\n\r\n").BodyText, Is.EqualTo("hello\n"));
    }

    [TestCase("http:///hello.txt", TestName = "AbsoluteFormWithAnEmptyHost_Is400")]
    [TestCase("http://:80/hello.txt", TestName = "AbsoluteFormWithOnlyAPort_Is400")]
    [TestCase("http://user@x/hello.txt", TestName = "AbsoluteFormWithUserinfo_Is400")]
    [TestCase("http://x%zz/hello.txt", TestName = "AbsoluteFormWithAnInvalidHost_Is400")]
    public void InvalidAbsoluteFormAuthority_Is400(string target)
    {
        Assert.That(Exchange($"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").Status, Is.EqualTo(400));
    }

    [TestCase("http://anything?q=1", "/?q=1")]
    [TestCase("http://anything#frag", "/")]
    public void AbsoluteFormWithoutAPath_IsTheRoot(string target, string expectedPath)
    {
        Assert.That(FileServer.Serving.RequestTarget.TryParse(target, out var parsed), Is.True);
        Assert.That(parsed.RawPath + parsed.Query, Is.EqualTo(expectedPath));
    }

    [Test]
    public void AbsoluteFormTarget_IsServed()
    {
        Assert.That(Exchange("GET http://anything/hello.txt HTTP/1.1\r\nHost: anything\r\n\r\n").BodyText, Is.EqualTo("hello\n"));
    }

    [Test]
    public void HeadOfError_HasNoBody()
    {
        using var connection = _server.Connect();
        connection.Send("HEAD /missing HTTP/1.1\r\nHost: x\r\n\r\n");
        var head = connection.ReadResponse(isHead: true);
        Assert.That(head.Status, Is.EqualTo(404));
        Assert.That(connection.Get("/hello.txt").StatusLine, Is.EqualTo("HTTP/1.1 200 OK"), "no stray body bytes before the next response");
    }

    [Test]
    public void HeadCutShortByTheClient_GetsA400()
    {
        using var connection = _server.Connect();
        connection.Send("GET /hello.txt HTTP/1.1\r\nHost: x\r\n");
        connection.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        Assert.That(connection.ReadResponse().Status, Is.EqualTo(400));
    }
}
