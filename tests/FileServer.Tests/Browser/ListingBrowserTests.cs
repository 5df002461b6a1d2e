using System.Security.Cryptography;
using FileServer.Tests.Support;
using Microsoft.Playwright;

namespace FileServer.Tests.Browser;

/// <summary>
/// A listing in a real browser: Debian's chromium, driven by Playwright through its executable path (no browser
/// download; <c>scripts/test.sh</c> installs chromium). Sorting, the filter box, a directory link, a download, and
/// a hostile name that stays text while no script of it runs. A screenshot is attached to the results.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ListingBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";
    private const string Hostile = "<img src=x onerror=alert(1)>.txt";
    private TempTree _tree = null!;
    private TestServer _server = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        Assert.That(File.Exists(Chromium), Is.True, $"{Chromium} is missing: scripts/test.sh installs it (apt-get install chromium)");
        _tree = new TempTree();
        _tree.WriteRandom("root/small.bin", 10);
        _tree.WriteRandom("root/large.bin", 300_000, seed: 2);
        _tree.WriteRandom("root/medium.bin", 5_000, seed: 3);
        _tree.WriteText("root/" + Hostile, "xss");
        _tree.WriteText("root/docs/readme.txt", "inside docs");
        _server = TestServer.Start(_tree.PathOf("root"));
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _tree?.Dispose();
    }

    [Test]
    public async Task Listing_SortsFiltersNavigatesAndDownloads_AndAHostileNameStaysText()
    {
        await using var context = await _browser.NewContextAsync(new() { AcceptDownloads = true });
        var page = await context.NewPageAsync();
        var dialogs = new List<string>();
        page.Dialog += (_, dialog) => dialogs.Add(dialog.Message);
        var errors = new List<string>();
        page.Console += (_, message) => errors.AddRange(message.Type == "error" ? [message.Text] : []);

        await page.GotoAsync(_server.Host.Url.ToString());
        Assert.That(await page.TitleAsync(), Is.EqualTo("Index of /"));
        Assert.That(await page.Locator("td.n a", new() { HasText = Hostile }).CountAsync(), Is.EqualTo(1), "the name is shown as text");
        Assert.That(await page.Locator("img").CountAsync(), Is.Zero, "no element was made of a name");

        // Sorting by size works through the query, without JavaScript.
        await page.ClickAsync("th.s a");
        Assert.That(page.Url, Does.Contain("sort=size&order=asc"));
        Assert.That(await FileNames(page), Is.EqualTo(new[] { Hostile, "small.bin", "medium.bin", "large.bin" }));
        await page.ClickAsync("th.s a");
        Assert.That(page.Url, Does.Contain("sort=size&order=desc"));
        Assert.That((await FileNames(page))[0], Is.EqualTo("large.bin"));

        // The filter box appears because our script may run, and hides what does not match.
        await page.FillAsync("#filter", "medi");
        Assert.That(await page.Locator("tbody tr:visible").AllInnerTextsAsync(), Has.Count.EqualTo(1).And.Some.Contains("medium.bin"));
        await page.FillAsync("#filter", "");

        var screenshot = Path.Combine(TestContext.CurrentContext.WorkDirectory, "listing.png");
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        TestContext.AddTestAttachment(screenshot, "the listing in chromium");

        // A file link downloads the file's bytes.
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("a[href='large.bin']"));
        var saved = Path.Combine(_tree.Root, "downloaded.bin");
        await download.SaveAsAsync(saved);
        Assert.That(SHA256.HashData(await File.ReadAllBytesAsync(saved)), Is.EqualTo(SHA256.HashData(await File.ReadAllBytesAsync(_tree.PathOf("root/large.bin")))));

        // A directory link opens its listing.
        await page.ClickAsync("a[href='docs/']");
        Assert.That(await page.TitleAsync(), Is.EqualTo("Index of /docs/"));
        Assert.That(await page.Locator("a[href='readme.txt']").CountAsync(), Is.EqualTo(1));

        Assert.That(dialogs, Is.Empty, "no script of a name ran");
        Assert.That(errors, Is.Empty, "the page's own script and style run under its policy");
    }

    private static async Task<string[]> FileNames(IPage page) =>
        (await page.Locator("tbody tr:not(.d) td.n a").AllInnerTextsAsync()).ToArray();
}
