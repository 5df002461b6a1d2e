using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FileServer.Tests.Support;

namespace FileServer.Tests.Integration;

/// <summary>
/// Listings over real sockets: hostile names shown as text and linked percent-encoded, the sort orders, the JSON
/// form and its negotiation, validators (304) and Vary, the content security policy, and the same hiding rules as
/// downloads (dotfiles, links out of the root, FIFOs).
/// </summary>
public sealed partial class DirectoryListingTests : ServedTreeFixture
{
    private const string Hostile = "<img src=x onerror=alert(1)>.txt";

    protected override void Populate(TempTree tree)
    {
        tree.WriteText("root/" + Hostile, "xss");
        tree.WriteText("root/a b#?%;.txt", "punctuation!");
        tree.WriteText("root/caf\u00e9.txt", "utf-8 name, longer body");
        tree.WriteRandom("root/big.bin", 5000);
        tree.WriteText("root/sub dir/inner.txt", "inner");
        tree.WriteText("root/.secret", "dotfile");
        tree.WriteText("root/withindex/index.html", "index");
        File.SetLastWriteTimeUtc(tree.PathOf("root/big.bin"), new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        File.CreateSymbolicLink(tree.PathOf("root/escape"), "/etc");
        File.CreateSymbolicLink(tree.PathOf("root/inside"), "sub dir");
        Run("mkfifo", tree.PathOf("root/fifo"));
        Run("bash", "-c", $"printf z > \"{tree.PathOf("root")}/$(printf 'bad\\377.bin')\"");
    }

    [Test]
    public void HostileName_IsShownAsText_AndLinkedPercentEncoded()
    {
        var page = Get("/").BodyText;
        Assert.Multiple(() =>
        {
            Assert.That(page, Does.Not.Contain("<img"), "no tag of a name reaches the page");
            Assert.That(page, Does.Contain(">&lt;img src=x onerror=alert(1)&gt;.txt</a>"));
            Assert.That(page, Does.Contain("href=\"%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.txt\""));
            Assert.That(page, Does.Contain("href=\"a%20b%23%3F%25%3B.txt\""), "space, #, ?, % and ; stay part of the name");
            Assert.That(page, Does.Contain("href=\"caf%C3%A9.txt\""), "UTF-8 names linked by their bytes");
            Assert.That(page, Does.Contain("href=\"bad%FF.bin\""), "a name that is not UTF-8 keeps its byte in the link");
            Assert.That(page, Does.Contain("href=\"sub%20dir/\""), "directories linked with their slash");
        });
    }

    [Test]
    public void EveryLinkOfTheListing_LeadsToWhatItNames()
    {
        var page = Get("/").BodyText;
        var links = LinkPattern().Matches(page).Select(m => m.Groups[1].Value.Replace("&amp;", "&", StringComparison.Ordinal))
            .Where(href => !href.StartsWith('?') && href is not ("./" or "bad%FF.bin")).ToList();
        Assert.That(links, Has.Count.EqualTo(7));
        foreach (var href in links)
        {
            var response = Get("/" + href);
            Assert.That(response.Status, Is.EqualTo(200), href);
        }
        Assert.That(Get("/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.txt").BodyText, Is.EqualTo("xss"));
        Assert.That(Get("/a%20b%23%3F%25%3B.txt").BodyText, Is.EqualTo("punctuation!"));
    }

    [Test]
    public void Dotfiles_LinksOutOfTheRoot_AndFifos_AreNotListed_LinksInsideAreListedAsWhatTheyLeadTo()
    {
        var names = Json("/").Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(names, Does.Not.Contain(".secret"));
            Assert.That(names, Does.Not.Contain("escape"));
            Assert.That(names, Does.Not.Contain("fifo"));
            Assert.That(Json("/").Single(e => e.GetProperty("name").GetString() == "inside").GetProperty("type").GetString(), Is.EqualTo("directory"));
        });
    }

    [Test]
    public async Task Dotfiles_AreListedWhenServed()
    {
        using var tree = new TempTree();
        tree.WriteText("root/.env", "x");
        await using var server = TestServer.Start(tree.PathOf("root"), o => o with { AllowDotfiles = true });
        using var connection = server.Connect();
        Assert.That(connection.Get("/", "Accept: application/json\r\n").BodyText, Does.Contain("\"name\":\".env\""));
    }

    [TestCase("", new[] { "inside", "sub dir", Hostile, "a b#?%;.txt", "bad\ufffd.bin", "big.bin", "caf\u00e9.txt" })]
    [TestCase("sort=name&order=desc", new[] { "sub dir", "inside", "caf\u00e9.txt", "big.bin", "bad\ufffd.bin", "a b#?%;.txt", Hostile })]
    [TestCase("sort=size", new[] { "inside", "sub dir", "bad\ufffd.bin", Hostile, "a b#?%;.txt", "caf\u00e9.txt", "big.bin" })]
    [TestCase("sort=size&order=desc", new[] { "sub dir", "inside", "big.bin", "caf\u00e9.txt", "a b#?%;.txt", Hostile, "bad\ufffd.bin" })]
    public void SortOrders_PutDirectoriesFirst(string query, string[] expected)
    {
        var names = Json("/?format=json&" + query).Select(e => e.GetProperty("name").GetString()).Where(n => n != "withindex").ToList();
        Assert.That(names, Is.EqualTo(expected));
    }

    [Test]
    public void SortByTime_PutsTheOldFileFirst_AndLatestLastWhenDescendingReversed()
    {
        var files = Json("/?format=json&sort=time").Where(e => e.GetProperty("type").GetString() == "file").Select(e => e.GetProperty("name").GetString()).ToList();
        var reversed = Json("/?format=json&sort=time&order=desc").Where(e => e.GetProperty("type").GetString() == "file").Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.That(files[0], Is.EqualTo("big.bin"));
        Assert.That(reversed[^1], Is.EqualTo("big.bin"));
    }

    [Test]
    public void Json_HasNameTypeSizeMtimeAndHref()
    {
        var big = Json("/").Single(e => e.GetProperty("name").GetString() == "big.bin");
        var dir = Json("/").Single(e => e.GetProperty("name").GetString() == "sub dir");
        Assert.Multiple(() =>
        {
            Assert.That(big.GetProperty("type").GetString(), Is.EqualTo("file"));
            Assert.That(big.GetProperty("size").GetInt64(), Is.EqualTo(5000));
            Assert.That(big.GetProperty("mtime").GetString(), Is.EqualTo("2020-01-02T03:04:05Z"));
            Assert.That(big.GetProperty("href").GetString(), Is.EqualTo("big.bin"));
            Assert.That(dir.GetProperty("size").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(dir.GetProperty("href").GetString(), Is.EqualTo("sub%20dir/"));
        });
    }

    [TestCase("application/json", true)]
    [TestCase("application/json, text/html;q=0.5", true)]
    [TestCase("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false)]
    [TestCase("*/*", false)]
    [TestCase("text/html;q=0.2, application/*;q=0.5", true)]
    [TestCase("application/json;q=0", false)]
    public void Accept_ChoosesJsonOnlyWhenItRanksAboveHtml(string accept, bool json)
    {
        var response = Get("/", $"Accept: {accept}\r\n");
        Assert.Multiple(() =>
        {
            Assert.That(response.Header("Content-Type"), Is.EqualTo(json ? "application/json" : "text/html; charset=utf-8"));
            Assert.That(response.Header("Vary"), Is.EqualTo("Accept"));
        });
    }

    [Test]
    public async Task Validators_Give304_UntilTheDirectoryChanges()
    {
        using var tree = new TempTree();
        tree.WriteText("root/a.txt", "one");
        await using var server = TestServer.Start(tree.PathOf("root"));
        using var connection = server.Connect();
        var first = connection.Get("/");
        var etag = first.Header("ETag")!;
        Assert.That(etag, Does.Match("^\"[^\"]+\"$"), "a strong tag");
        var again = connection.Get("/", $"If-None-Match: {etag}\r\n");
        Assert.Multiple(() =>
        {
            Assert.That(again.Status, Is.EqualTo(304));
            Assert.That(again.Header("ETag"), Is.EqualTo(etag));
            Assert.That(again.Body, Is.Empty);
        });
        tree.WriteText("root/a.txt", "one more");
        var changed = connection.Get("/", $"If-None-Match: {etag}\r\n");
        Assert.That(changed.Status, Is.EqualTo(200), "a file's new size changes the listing");
        Assert.That(changed.Header("ETag"), Is.Not.EqualTo(etag));
        Assert.That(connection.Get("/", "Accept: application/json\r\n").Header("ETag"), Is.Not.EqualTo(changed.Header("ETag")), "each form has its own tag");
    }

    [Test]
    public void Html_IsServedWithAPolicyThatAllowsOnlyItsOwnScript()
    {
        var response = Get("/");
        var policy = response.Header("Content-Security-Policy")!;
        var script = ScriptPattern().Match(response.BodyText).Groups[1].Value;
        var hash = "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(script)));
        Assert.Multiple(() =>
        {
            Assert.That(policy, Does.Contain("default-src 'none'"));
            Assert.That(policy, Does.Contain($"script-src '{hash}'"), "the page's one script, by hash");
            Assert.That(response.Header("X-Content-Type-Options"), Is.EqualTo("nosniff"));
            Assert.That(ScriptPattern().Matches(response.BodyText), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public void Head_HasTheHeadOfGet_AndNoBody()
    {
        using var connection = Server.Connect();
        connection.Send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
        var head = connection.ReadResponse(isHead: true);
        var get = connection.Get("/");
        Assert.Multiple(() =>
        {
            Assert.That(head.Status, Is.EqualTo(200));
            Assert.That(head.Header("Content-Length"), Is.EqualTo(get.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(head.Header("ETag"), Is.EqualTo(get.Header("ETag")));
        });
    }

    [Test]
    public void Subdirectory_HasBreadcrumbsAndAParentLink()
    {
        var page = Get("/sub%20dir/").BodyText;
        Assert.Multiple(() =>
        {
            Assert.That(page, Does.Contain("<title>Index of /sub dir/</title>"));
            Assert.That(page, Does.Contain("<a href=\"../\">/</a> sub dir /"));
            Assert.That(page, Does.Contain("href=\"inner.txt\""));
        });
    }

    [Test]
    public void DirectoryWithIndex_ServesTheIndex_NotAListing()
    {
        Assert.That(Get("/withindex/").BodyText, Is.EqualTo("index"));
    }

    [Test]
    public async Task NoListing_Answers404()
    {
        await using var server = TestServer.Start(Tree.PathOf("root"), o => o with { DisableListing = true });
        using var connection = server.Connect();
        Assert.That(connection.Get("/").Status, Is.EqualTo(404));
    }

    private RawResponse Get(string target, string headers = "")
    {
        using var connection = Server.Connect();
        return connection.Get(target, headers);
    }

    private List<JsonElement> Json(string target)
    {
        var response = Get(target, "Accept: application/json\r\n");
        Assert.That(response.Header("Content-Type"), Is.EqualTo("application/json"));
        using var document = JsonDocument.Parse(response.Body);
        Assert.That(document.RootElement.GetProperty("path").GetString(), Is.Not.Null);
        return document.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    private static void Run(string file, params string[] arguments)
    {
        using var process = Process.Start(file, arguments);
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, $"{file} failed");
    }

    [GeneratedRegex("<td class=\"n\"><a href=\"([^\"]*)\"")]
    private static partial Regex LinkPattern();

    [GeneratedRegex("<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex ScriptPattern();
}

/// <summary><c>?download</c> and <c>--cache-control</c> on real responses.</summary>
public sealed class DownloadFieldsTests
{
    [Test]
    public async Task Download_NamesTheFileAsAnAttachment_CacheControlOnEveryFileResponse()
    {
        using var tree = new TempTree();
        tree.WriteText("root/caf\u00e9.txt", "0123456789");
        await using var server = TestServer.Start(tree.PathOf("root"), o => o with { CacheControl = "public, max-age=60" });
        using var connection = server.Connect();
        var download = connection.Get("/caf%C3%A9.txt?download");
        var plain = connection.Get("/caf%C3%A9.txt");
        var range = connection.Get("/caf%C3%A9.txt", "Range: bytes=2-4\r\n");
        var notModified = connection.Get("/caf%C3%A9.txt", $"If-None-Match: {plain.Header("ETag")}\r\n");
        Assert.Multiple(() =>
        {
            Assert.That(download.Header("Content-Disposition"), Is.EqualTo("attachment; filename=\"caf_.txt\"; filename*=UTF-8''caf%C3%A9.txt"));
            Assert.That(download.BodyText, Is.EqualTo("0123456789"));
            Assert.That(plain.Header("Content-Disposition"), Is.Null);
            Assert.That(plain.Header("Cache-Control"), Is.EqualTo("public, max-age=60"));
            Assert.That(range.Status, Is.EqualTo(206));
            Assert.That(range.Header("Cache-Control"), Is.EqualTo("public, max-age=60"));
            Assert.That(notModified.Status, Is.EqualTo(304));
            Assert.That(notModified.Header("Cache-Control"), Is.EqualTo("public, max-age=60"));
        });
    }

    [Test]
    public void CacheControlWithALineBreak_RefusesToStart()
    {
        using var tree = new TempTree();
        tree.WriteText("root/a.txt", "a");
        Assert.Throws<FileServer.Hosting.StartupException>(() => TestServer.Start(tree.PathOf("root"), o => o with { CacheControl = "max-age=1\r\nX-Evil: 1" }));
    }
}
