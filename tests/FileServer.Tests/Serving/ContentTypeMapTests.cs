using FileServer.Serving;
using FileServer.Tests.Support;

namespace FileServer.Tests.Serving;

public class ContentTypeMapTests
{
    [Test]
    public void MimeTypesFile_AddsWhatTheTableLacks_OverridesWinOverBoth_TextGetsUtf8()
    {
        using var tree = new TempTree();
        tree.WriteText("mime.types", "# comment line\napplication/x-thing\tthing thg\ntext/x-rust rs\ntext/plain txt log\nimage/png png\n\nbroken\n");
        var map = new ContentTypeMap(tree.PathOf("mime.types"), new Dictionary<string, string> { ["png"] = "image/x-custom", [".md"] = "text/markdown; charset=latin1" });
        Assert.Multiple(() =>
        {
            Assert.That(map.Lookup("a.thing"), Is.EqualTo("application/x-thing"));
            Assert.That(map.Lookup("dir/a.THG"), Is.EqualTo("application/x-thing"), "extensions match case-insensitively");
            Assert.That(map.Lookup("main.rs"), Is.EqualTo("text/x-rust; charset=utf-8"));
            Assert.That(map.Lookup("notes.log"), Is.EqualTo("text/plain; charset=utf-8"));
            Assert.That(map.Lookup("a.txt"), Is.EqualTo("text/plain; charset=utf-8"), "the built-in table keeps its entries");
            Assert.That(map.Lookup("a.png"), Is.EqualTo("image/x-custom"), "an override wins");
            Assert.That(map.Lookup("a.md"), Is.EqualTo("text/markdown; charset=latin1"), "a charset given is kept");
            Assert.That(map.Lookup("a.unknown"), Is.EqualTo(ContentTypeMap.Fallback));
        });
    }

    [Test]
    public void MissingMimeTypesFile_AddsNothing()
    {
        var map = new ContentTypeMap("/nonexistent/mime.types", []);
        Assert.That(map.Lookup("a.thing"), Is.EqualTo(ContentTypeMap.Fallback));
    }

    [TestCase("", "text/plain")]
    [TestCase("md", "markdown")]
    [TestCase("md", "text/")]
    [TestCase("md", "text/plain\r\nX-Evil: 1")]
    public void MalformedOverride_IsRefused(string extension, string type)
    {
        Assert.Throws<ArgumentException>(() => _ = new ContentTypeMap(null, new Dictionary<string, string> { [extension] = type }));
    }
}

public class ContentDispositionTests
{
    [TestCase("", false)]
    [TestCase("?download", true)]
    [TestCase("?download=1", true)]
    [TestCase("?a=b&download", true)]
    [TestCase("?downloads", false)]
    [TestCase("?x=download", false)]
    public void IsRequested_ByADownloadParameter(string query, bool expected) =>
        Assert.That(ContentDisposition.IsRequested(query), Is.EqualTo(expected));

    [TestCase("report.pdf", "attachment; filename=\"report.pdf\"")]
    [TestCase("caf\u00e9 menu.txt", "attachment; filename=\"caf_ menu.txt\"; filename*=UTF-8''caf%C3%A9%20menu.txt")]
    [TestCase("a\"b.txt", "attachment; filename=\"a_b.txt\"; filename*=UTF-8''a%22b.txt")]
    [TestCase("100%.txt", "attachment; filename=\"100_.txt\"; filename*=UTF-8''100%25.txt")]
    [TestCase("\u65e5\u672c.iso", "attachment; filename=\"__.iso\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.iso")]
    public void Attachment_QuotesAsciiAndEncodesTheRestPerRfc8187(string name, string expected) =>
        Assert.That(ContentDisposition.Attachment(name), Is.EqualTo(expected));
}
