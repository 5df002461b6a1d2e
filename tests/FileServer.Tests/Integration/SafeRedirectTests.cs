using FileServer.Tests.Support;

namespace FileServer.Tests.Integration;

/// <summary>
/// The trailing-slash redirect never sends a browser to another site: directories named like hosts, reached by
/// paths that start with <c>//</c> or <c>/\</c>, in origin and absolute form, get a <c>Location</c> on this server,
/// and what the request echoes into it is percent-encoded.
/// </summary>
public class SafeRedirectTests
{
    private TempTree _tree = null!;
    private TestServer _server = null!;

    [OneTimeSetUp]
    public void StartServer()
    {
        _tree = new TempTree();
        _tree.WriteText("root/evil.com/index.html", "a directory named like a host");
        _tree.WriteText("root/github.com/x/index.html", "a module mirror");
        _tree.WriteText("root/docs/index.html", "docs");
        _tree.WriteText("root/caf\u00e9/index.html", "unicode");
        _tree.WriteText("root/a b/index.html", "space");
        _server = TestServer.Start(_tree.PathOf("root"));
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        await _server.DisposeAsync();
        _tree.Dispose();
    }

    [TestCase("//evil.com", "/evil.com/")]
    [TestCase("///evil.com", "/evil.com/")]
    [TestCase("//evil.com?x=1", "/evil.com/?x=1")]
    [TestCase("/./evil.com", "/evil.com/")]
    [TestCase("//github.com/x", "/github.com/x/")]
    [TestCase("//github.com//x", "/github.com/x/")]
    [TestCase("/%2Fevil.com", null)]
    [TestCase("/%5Cevil.com", null)]
    [TestCase("/\\evil.com", null)]
    [TestCase("http://x//evil.com", "/evil.com/")]
    [TestCase("http://x///evil.com?a=b", "/evil.com/?a=b")]
    [TestCase("https://x//github.com//x", "/github.com/x/")]
    [TestCase("/docs?a=\"><x>", "/docs/?a=%22%3E%3Cx%3E")]
    [TestCase("/docs?q=%41%zz", "/docs/?q=%41%25zz")]
    [TestCase("/caf%C3%A9", "/caf%C3%A9/")]
    [TestCase("/a%20b", "/a%20b/")]
    public void Location_NeverNamesAnotherAuthority(string target, string? expected)
    {
        using var connection = _server.Connect();
        connection.Send($"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n");
        var response = connection.ReadResponse();
        var location = response.Header("Location");
        Assert.Multiple(() =>
        {
            if (expected is null)
            {
                // Encoded separators are refused outright; a backslash is a name character that names nothing here.
                Assert.That(response.Status, Is.AnyOf(400, 404));
                Assert.That(location, Is.Null);
            }
            else
            {
                Assert.That((response.Status, location), Is.EqualTo((301, expected)));
            }
            Assert.That(location ?? "/", Does.StartWith("/").And.Not.StartWith("//").And.Not.StartWith("/\\"));
            Assert.That(response.Header("X-Content-Type-Options"), Is.EqualTo("nosniff"));
        });
    }

    [Test]
    public void FollowingTheRedirect_ServesTheDirectoryIndex()
    {
        using var connection = _server.Connect();
        var redirect = connection.Get("//evil.com");
        Assert.That(connection.Get(redirect.Header("Location")!).BodyText, Is.EqualTo("a directory named like a host"));
    }

    [TestCase("/missing")]
    [TestCase("/%00")]
    public void ErrorBodies_AreNotSniffed(string target)
    {
        using var connection = _server.Connect();
        var response = connection.Get(target);
        Assert.That((response.Header("Content-Type"), response.Header("X-Content-Type-Options")), Is.EqualTo(("text/plain; charset=utf-8", "nosniff")));
    }
}
