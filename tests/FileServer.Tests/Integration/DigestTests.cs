using System.Diagnostics;
using System.Security.Cryptography;
using FileServer.Tests.Support;

namespace FileServer.Tests.Integration;

/// <summary>
/// RFC 9530 <c>Repr-Digest</c> and the virtual <c>.sha256</c> sibling: the digest is SHA-256 of the served bytes,
/// absent until it is computed (never computed on the request's path), per file version, and <c>sha256sum -c</c>
/// accepts the sibling.
/// </summary>
public sealed class DigestTests : ServedTreeFixture
{
    private string _bigSha256 = "";

    protected override void Populate(TempTree tree)
    {
        _bigSha256 = tree.WriteRandom("root/big.iso", 3 * 1024 * 1024 + 7);
        tree.WriteText("root/real.txt", "real");
        tree.WriteText("root/real.txt.sha256", "a real file wins\n");
        tree.WriteText("root/.hidden", "dot");
        tree.WriteText("root/dir/a.txt", "a");
    }

    [Test]
    public void Sibling_IsASha256sumLine_OfTheServedBytes()
    {
        using var connection = Server.Connect();
        var sibling = connection.Get("/big.iso.sha256");
        Assert.Multiple(() =>
        {
            Assert.That(sibling.Status, Is.EqualTo(200));
            Assert.That(sibling.Header("Content-Type"), Is.EqualTo("text/plain; charset=utf-8"));
            Assert.That(sibling.BodyText, Is.EqualTo($"{_bigSha256}  big.iso\n"));
        });
        var again = connection.Get("/big.iso.sha256", $"If-None-Match: {sibling.Header("ETag")}\r\n");
        Assert.That(again.Status, Is.EqualTo(304));
    }

    [Test]
    public async Task ReprDigest_IsAbsentUntilComputed_ThenTheSha256OfTheBytes_OnWholeAndPartialResponses()
    {
        using var tree = new TempTree();
        var hex = tree.WriteRandom("root/f.bin", 200_000, seed: 9);
        var expected = $"sha-256=:{Convert.ToBase64String(Convert.FromHexString(hex))}:";
        await using var server = TestServer.Start(tree.PathOf("root"));
        using var connection = server.Connect();
        var first = connection.Get("/f.bin", "Want-Repr-Digest: sha-256=3\r\n");
        Assert.That(first.Header("Repr-Digest"), Is.Null, "the first response never waits for the digest");
        Assert.That(first.BodySha256, Is.EqualTo(hex));

        // The sibling waits for the computation the first request started; after it the digest is ready.
        Assert.That(connection.Get("/f.bin.sha256").Status, Is.EqualTo(200));
        var whole = connection.Get("/f.bin", "Want-Repr-Digest: sha-256=3\r\n");
        var part = connection.Get("/f.bin", "Want-Repr-Digest: sha-256=3\r\nRange: bytes=10-19\r\n");
        var unasked = connection.Get("/f.bin");
        var refused = connection.Get("/f.bin", "Want-Repr-Digest: sha-256=0, sha-512=5\r\n");
        var otherOnly = connection.Get("/f.bin", "Want-Repr-Digest: sha-512=5\r\n");
        Assert.Multiple(() =>
        {
            Assert.That(whole.Header("Repr-Digest"), Is.EqualTo(expected));
            Assert.That(part.Status, Is.EqualTo(206));
            Assert.That(part.Header("Repr-Digest"), Is.EqualTo(expected), "the representation's digest, not the part's");
            Assert.That(unasked.Header("Repr-Digest"), Is.Null, "only when asked (or with --digest)");
            Assert.That(refused.Header("Repr-Digest"), Is.Null, "sha-256=0 means not acceptable");
            Assert.That(otherOnly.Header("Repr-Digest"), Is.EqualTo(expected), "ours is offered when another is asked for");
        });
    }

    [Test]
    public async Task AlwaysDigest_SendsItUnasked_AndANewVersionGetsItsOwn()
    {
        using var tree = new TempTree();
        tree.WriteText("root/v.txt", "version one");
        await using var server = TestServer.Start(tree.PathOf("root"), o => o with { AlwaysDigest = true });
        using var connection = server.Connect();
        Assert.That(connection.Get("/v.txt.sha256").Status, Is.EqualTo(200));
        Assert.That(connection.Get("/v.txt").Header("Repr-Digest"), Is.EqualTo(Field("version one")));

        tree.WriteText("root/v.txt", "version two!");
        Assert.That(connection.Get("/v.txt").Header("Repr-Digest"), Is.Null, "the old version's digest is never sent for the new bytes");
        Assert.That(connection.Get("/v.txt.sha256").BodyText, Does.StartWith(Convert.ToHexStringLower(SHA256.HashData("version two!"u8))));
        Assert.That(connection.Get("/v.txt").Header("Repr-Digest"), Is.EqualTo(Field("version two!")));
    }

    [TestCase("/real.txt.sha256", 200, "a real file wins\n")]
    [TestCase("/missing.txt.sha256", 404, null)]
    [TestCase("/dir.sha256", 404, null)]
    [TestCase("/.hidden.sha256", 404, null)]
    public void Sibling_OnlyForAServedFile_AndARealFileWins(string target, int status, string? body)
    {
        using var connection = Server.Connect();
        var response = connection.Get(target);
        Assert.That(response.Status, Is.EqualTo(status));
        if (body is not null)
        {
            Assert.That(response.BodyText, Is.EqualTo(body));
        }
    }

    [Test]
    public async Task Sha256sum_AcceptsTheSiblingOfADownloadedFile()
    {
        using var http = new HttpClient { BaseAddress = Server.Host.Url };
        using var work = new TempTree();
        work.WriteBytes("big.iso", await http.GetByteArrayAsync("big.iso"));
        work.WriteBytes("big.iso.sha256", await http.GetByteArrayAsync("big.iso.sha256"));
        var check = Process.Start(new ProcessStartInfo("sha256sum", ["-c", "big.iso.sha256"]) { WorkingDirectory = work.Root, RedirectStandardOutput = true })!;
        var output = check.StandardOutput.ReadToEnd();
        check.WaitForExit();
        Assert.That(check.ExitCode, Is.Zero, output);
        Assert.That(output, Is.EqualTo("big.iso: OK\n"));
    }

    private static string Field(string text) => $"sha-256=:{Convert.ToBase64String(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))}:";
}
