using System.Security.Cryptography;
using FileServer.Tests.Support;
using Mono.Unix.Native;

namespace FileServer.Tests.Samples;

/// <summary>
/// The samples, run as their READMEs run them, against real servers: the embedded server and the hosted service each
/// serve a file and stop on a signal; the downloader, cut part-way by a server that dies and comes back on the same
/// port, resumes with Range + If-Range and verifies the SHA-256.
/// </summary>
[NonParallelizable]
public sealed class SampleTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Test]
    public async Task EmbeddedServer_ServesAFile_AndStopsOnCtrlC()
    {
        using var tree = new TempTree();
        var bytes = RandomNumberGenerator.GetBytes(1 << 20);
        tree.WriteBytes("root/a.bin", bytes);
        using var sample = SampleProcess.Start("EmbeddedServer", tree.PathOf("root"));
        var line = sample.WaitForLine("Serving ", Patience);
        Assert.That(line, Is.Not.Null, sample.Output);
        using var http = new HttpClient { BaseAddress = new Uri(line![(line.LastIndexOf(" on ", StringComparison.Ordinal) + 4)..]) };
        Assert.That(await http.GetByteArrayAsync("a.bin"), Is.EqualTo(bytes));
        Assert.That(sample.Stop(Signum.SIGINT, Patience), Is.Zero, sample.Output);
    }

    [Test]
    public async Task HostedService_ServesAFile_FromConfiguration_AndStopsWithTheHost()
    {
        using var tree = new TempTree();
        var bytes = RandomNumberGenerator.GetBytes(1 << 20);
        tree.WriteBytes("root/a.bin", bytes);
        using var sample = SampleProcess.Start("HostedService", $"--FileServer:Root={tree.PathOf("root")}", "--FileServer:CacheControl=max-age=60");
        var line = sample.WaitForLine("Listening on ", Patience);
        Assert.That(line, Is.Not.Null, sample.Output);
        using var http = new HttpClient { BaseAddress = new Uri(line!["Listening on ".Length..]) };
        using var response = await http.GetAsync("a.bin");
        Assert.Multiple(async () =>
        {
            Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(bytes));
            Assert.That(response.Headers.CacheControl?.ToString(), Is.EqualTo("max-age=60"), "options from the host's configuration");
        });
        Assert.That(sample.Stop(Signum.SIGTERM, Patience), Is.Zero, sample.Output);
        Assert.That(sample.Output, Does.Contain("FileServer[1]").Or.Contain("Serving"), "the server logs through the host's logging");
    }

    [Test]
    public void ResumableDownloader_CutByARestart_ResumesAndVerifies()
    {
        using var tree = new TempTree();
        var bytes = RandomNumberGenerator.GetBytes(24 << 20);
        tree.WriteBytes("root/big.bin", bytes);
        var output = tree.PathOf("big.bin");
        int port;
        SampleProcess downloader;
        // 2 MiB/s: the download is still running when the server dies, a few MiB in.
        using (var first = CliProcess.StartWithOpenFileLimit(4096, 4096, tree.PathOf("root"), "--limit-rate", "2m"))
        {
            port = first.Port;
            downloader = SampleProcess.Start("ResumableDownloader", new Uri(first.Url, "big.bin").ToString(), output);
            // Its progress line at 10 % (stderr is not a terminal: a line every 10 %): 2.4 MiB are in the part file.
            Assert.That(downloader.WaitForLine(" 10.", Patience), Is.Not.Null, "the download got under way: " + downloader.Output);
            first.Kill();
        }
        using (downloader)
        {
            using var second = CliProcess.StartOnPort(port, tree.PathOf("root"));
            Assert.Multiple(() =>
            {
                Assert.That(downloader.WaitForExit(TimeSpan.FromSeconds(120)), Is.Zero, downloader.Output);
                Assert.That(downloader.Output, Does.Contain("retrying in"), "the cut was seen as a network error");
                Assert.That(downloader.Output, Does.Match(@"resumed at byte [1-9]\d*"), "and the download resumed, not restarted");
                Assert.That(downloader.Output, Does.Contain("verified sha-256 " + Convert.ToHexStringLower(SHA256.HashData(bytes))));
                Assert.That(File.ReadAllBytes(output), Is.EqualTo(bytes));
                Assert.That(File.Exists(output + ".part"), Is.False);
            });
        }
    }
}
