using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using FileServer.Tests.Support;

namespace FileServer.Tests.Integration;

/// <summary>
/// <c>?archive=tar</c> against GNU tar: the extracted tree equals the served one (a UTF-8 name past 100 bytes
/// included), the length is exact, a resumed download is byte-identical while the tree is unchanged, a changed tree
/// gives a new archive, and a member that changes mid-archive ends the connection short.
/// </summary>
public sealed class ArchiveTests : ServedTreeFixture
{
    private static readonly string LongName = string.Concat(Enumerable.Repeat("\u00fc", 70)) + ".txt";

    protected override void Populate(TempTree tree)
    {
        tree.WriteRandom("root/photos/a.bin", 300_000, seed: 3);
        tree.WriteText("root/photos/sub/b.txt", "bee");
        tree.WriteText($"root/photos/sub/{LongName}", "long name");
        tree.WriteText("root/photos/.git/config", "hidden");
        tree.WriteText("root/photos/index.html", "an index does not stop the archive");
        Directory.CreateDirectory(tree.PathOf("root/photos/sub/empty"));
    }

    [Test]
    public async Task GnuTar_ExtractsTheTree_ByteForByte_WithoutDotfiles()
    {
        using var http = Client(Server);
        using var response = await http.GetAsync("photos/?archive=tar");
        var archive = await response.Content.ReadAsByteArrayAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(archive.Length), "the length announced is the length sent");
            Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/x-tar"));
            Assert.That(response.Content.Headers.ContentDisposition!.FileName, Is.EqualTo("photos.tar"));
            Assert.That(archive.Length % 512, Is.Zero);
        });
        using var work = new TempTree();
        work.WriteBytes("photos.tar", archive);
        Run(work.Root, "tar", "-xf", "photos.tar");
        foreach (var file in new[] { "a.bin", "sub/b.txt", $"sub/{LongName}", "index.html" })
        {
            Assert.That(File.ReadAllBytes(work.PathOf("photos/" + file)), Is.EqualTo(File.ReadAllBytes(Tree.PathOf("root/photos/" + file))), file);
        }
        Assert.That(Directory.Exists(work.PathOf("photos/sub/empty")), Is.True, "empty directories are kept");
        Assert.That(Directory.Exists(work.PathOf("photos/.git")), Is.False, "dotfiles stay hidden");
    }

    [Test]
    public async Task InterruptedDownload_ResumesByteIdentical_WithIfRange()
    {
        using var http = Client(Server);
        var whole = await http.GetByteArrayAsync("photos/?archive=tar");
        using var first = await http.GetAsync("photos/?archive=tar");
        var etag = first.Headers.ETag!;
        foreach (var cut in new[] { 1, 511, 512, 513, 100_000, whole.Length - 1024, whole.Length - 1 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "photos/?archive=tar");
            request.Headers.Range = new RangeHeaderValue(cut, null);
            request.Headers.IfRange = new RangeConditionHeaderValue(etag);
            using var rest = await http.SendAsync(request);
            Assert.That(rest.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent), $"cut at {cut}");
            var tail = await rest.Content.ReadAsByteArrayAsync();
            Assert.That(whole[..cut].Concat(tail).ToArray(), Is.EqualTo(whole), $"cut at {cut}");
        }
    }

    [Test]
    public async Task ChangedTree_GivesTheWholeNewArchive_NotARangeOfIt()
    {
        using var tree = new TempTree();
        tree.WriteText("root/d/a.txt", "one");
        await using var server = TestServer.Start(tree.PathOf("root"));
        using var http = Client(server);
        using var first = await http.GetAsync("d/?archive=tar");
        tree.WriteText("root/d/a.txt", "one, longer now");
        using var request = new HttpRequestMessage(HttpMethod.Get, "d/?archive=tar");
        request.Headers.Range = new RangeHeaderValue(512, null);
        request.Headers.IfRange = new RangeConditionHeaderValue(first.Headers.ETag!);
        using var second = await http.SendAsync(request);
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(second.Headers.ETag, Is.Not.EqualTo(first.Headers.ETag));
    }

    [Test]
    public async Task MemberChangedAfterThePlan_EndsTheConnectionShort()
    {
        using var tree = new TempTree();
        tree.WriteRandom("root/d/1-first.bin", 64 * 1024 * 1024, seed: 1);
        tree.WriteRandom("root/d/2-second.bin", 1024 * 1024, seed: 2);
        await using var server = TestServer.Start(tree.PathOf("root"));
        using var connection = server.Connect();
        connection.Send("GET /d/?archive=tar HTTP/1.1\r\nHost: t\r\n\r\n");
        // The server is held in the first member by the unread socket; the second is changed before its turn.
        var headLine = new byte[16];
        connection.Socket.Receive(headLine);
        File.AppendAllText(tree.PathOf("root/d/2-second.bin"), "grown");
        File.SetLastWriteTimeUtc(tree.PathOf("root/d/2-second.bin"), DateTime.UtcNow.AddMinutes(1));
        long received = headLine.Length;
        var buffer = new byte[1 << 20];
        int read;
        while ((read = connection.Socket.Receive(buffer)) > 0)
        {
            received += read;
        }
        Assert.That(received, Is.LessThan(66 * 1024 * 1024), "the connection ended before a complete-looking archive");
    }

    [Test]
    public async Task SparseMemberPast8GiB_GetsAPaxSize_ThatGnuTarReads()
    {
        using var tree = new TempTree();
        var big = tree.PathOf("root/d/sparse.img");
        Directory.CreateDirectory(Path.GetDirectoryName(big)!);
        const long Size = (8L << 30) + 4096 + 7;
        using (var stream = File.Create(big))
        {
            stream.SetLength(Size);
        }
        await using var server = TestServer.Start(tree.PathOf("root"));
        var list = new ProcessStartInfo("bash", ["-c", $"curl -sf '{server.Host.Url}d/?archive=tar' | tar -tvf -"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var tar = Process.Start(list)!;
        var output = await tar.StandardOutput.ReadToEndAsync();
        var errors = await tar.StandardError.ReadToEndAsync();
        await tar.WaitForExitAsync();
        Assert.That(tar.ExitCode, Is.Zero, errors);
        Assert.That(output, Does.Contain($" {Size} ").And.Contain("d/sparse.img"));
    }

    private static HttpClient Client(TestServer server) => new() { BaseAddress = server.Host.Url, Timeout = TimeSpan.FromMinutes(2) };

    private static void Run(string directory, string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { WorkingDirectory = directory, RedirectStandardError = true })!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, errors);
    }
}
