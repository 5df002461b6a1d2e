using System.Globalization;
using System.Text.RegularExpressions;
using FileServer.Tests.Support;

namespace FileServer.Tests.Cli;

/// <summary>
/// What an idle command-line server holds: start-up's garbage collected once before it says it listens, and none of
/// the assemblies a plain server given an address never uses mapped into the process (each is RSS in <c>top</c>:
/// docs/performance.md, "Idle memory"), read from the real process's log and <c>/proc/PID/maps</c>.
/// </summary>
public sealed partial class IdleFootprintTests
{
    [Test]
    public async Task StartUp_CollectsItsGarbage_BeforeItSaysItListens()
    {
        using var tree = new TempTree();
        tree.WriteText("root/a.txt", "a");
        using var server = CliProcess.StartWithOpenFileLimit(4096, 4096, tree.PathOf("root"), "--log-level", "Debug");

        // The URL came from the "Listening on" line, which is written after the collection: its log line is there.
        var line = await server.WaitForLogAsync("start-up's garbage collected", TimeSpan.FromSeconds(30));
        var match = CollectedLine().Match(line ?? "");
        Assert.That(match.Success, Is.True, line);
        var before = long.Parse(match.Groups["before"].Value, CultureInfo.InvariantCulture);
        var after = long.Parse(match.Groups["after"].Value, CultureInfo.InvariantCulture);
        Assert.Multiple(() =>
        {
            Assert.That(after, Is.GreaterThan(0), "a collection ran and measured the heap");
            Assert.That(after, Is.LessThan(before), "start-up's garbage is gone");
        });
        using var http = new HttpClient { BaseAddress = server.Url };
        Assert.That(await http.GetStringAsync("a.txt"), Is.EqualTo("a"));
        Assert.That(server.Stop(TimeSpan.FromSeconds(30)), Is.Zero);
        Assert.That(CollectedLine().Count(server.Log), Is.EqualTo(1), "once, at start");
    }

    [TestCase("System.Console.dll")]
    [TestCase("System.Private.Uri.dll")]
    [TestCase("System.Net.NameResolution.dll")]
    [TestCase("System.Net.Security.dll")]
    [TestCase("Spectre.Console.dll")]
    public async Task PlainServer_GivenAnAddress_NeverMaps(string assembly)
    {
        using var tree = new TempTree();
        tree.WriteText("root/a.txt", "a");
        using var server = CliProcess.StartWithOpenFileLimit(4096, 4096, tree.PathOf("root"));
        using (var http = new HttpClient { BaseAddress = server.Url })
        {
            // Served, listed, missed and ranged: the code of an ordinary day has run and been compiled.
            Assert.That(await http.GetStringAsync("a.txt"), Is.EqualTo("a"));
            Assert.That(await http.GetStringAsync(""), Does.Contain("a.txt"));
            using var missing = await http.GetAsync("missing");
            Assert.That((int)missing.StatusCode, Is.EqualTo(404));
        }

        var maps = await File.ReadAllTextAsync($"/proc/{server.Id}/maps");
        Assert.That(maps, Does.Contain("FileServer.dll"), "the maps are the server's");
        Assert.That(maps, Does.Not.Contain("/" + assembly));
    }

    [GeneratedRegex(@"start-up's garbage collected, the managed heap (?<before>\d+) KiB → (?<after>\d+) KiB")]
    private static partial Regex CollectedLine();
}
