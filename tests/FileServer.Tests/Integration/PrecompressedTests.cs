using System.IO.Compression;
using System.Security.Cryptography;
using FileServer.Http;
using FileServer.Tests.Support;

namespace FileServer.Tests.Integration;

/// <summary>
/// Encoded siblings (<c>.br</c>, <c>.zst</c>, <c>.gz</c>) served in a file's place by <c>Accept-Encoding</c>: the
/// negotiation table, stale siblings, distinct ETags, HEAD, ranges over the encoded bytes, and decoded bytes equal
/// to the original.
/// </summary>
public sealed class PrecompressedTests : ServedTreeFixture
{
    private static readonly string[] Codings = ["br", "gzip", "identity"];
    private static readonly string[] ServedCodings = ["br", "zstd", "gzip"];
    private byte[] _original = [];

    protected override void Populate(TempTree tree)
    {
        _original = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 4000).Select(i => $"line {i}\n")));
        tree.WriteBytes("root/app.js", _original);
        tree.WriteBytes("root/app.js.br", Compress(_original, s => new BrotliStream(s, CompressionLevel.Optimal)));
        tree.WriteBytes("root/app.js.gz", Compress(_original, s => new GZipStream(s, CompressionLevel.Optimal)));
        tree.WriteText("root/app.js.zst", "not really zstd, but only the name matters to the server");
        tree.WriteBytes("root/old.css", _original);
        tree.WriteBytes("root/old.css.gz", Compress(_original, s => new GZipStream(s, CompressionLevel.Optimal)));
        tree.WriteText("root/plain.txt", "no siblings");
        var now = DateTime.UtcNow;
        File.SetLastWriteTimeUtc(tree.PathOf("root/old.css.gz"), now.AddHours(-1));
        File.SetLastWriteTimeUtc(tree.PathOf("root/old.css"), now);
    }

    [TestCase(null, null)]
    [TestCase("gzip", "gzip")]
    [TestCase("x-gzip", "gzip")]
    [TestCase("gzip, br", "br")]
    [TestCase("br;q=0.5, gzip", "gzip")]
    [TestCase("zstd, gzip, br", "br")]
    [TestCase("zstd", "zstd")]
    [TestCase("br;q=0, gzip;q=0", null)]
    [TestCase("*", "br")]
    [TestCase("*;q=0", null)]
    [TestCase("identity;q=0, gzip", "gzip")]
    [TestCase("gzip;q=0.5, identity", null)]
    [TestCase("deflate", null)]
    [TestCase("", null)]
    public void Negotiation_PicksTheCodingByTheClientsQ_ThenTheServersOrder(string? accept, string? coding)
    {
        using var connection = Server.Connect();
        var response = connection.Get("/app.js", accept is null ? "" : $"Accept-Encoding: {accept}\r\n");
        var expectedFile = coding switch { "br" => "app.js.br", "gzip" => "app.js.gz", "zstd" => "app.js.zst", _ => "app.js" };
        Assert.Multiple(() =>
        {
            Assert.That(response.Status, Is.EqualTo(200));
            Assert.That(response.Header("Content-Encoding"), Is.EqualTo(coding));
            Assert.That(response.Header("Content-Type"), Is.EqualTo("text/javascript; charset=utf-8"), "the original's type");
            Assert.That(response.Body, Is.EqualTo(File.ReadAllBytes(Tree.PathOf("root/" + expectedFile))));
            // Only a request that accepts one of the codings makes the server look for siblings (as nginx's gzip_static).
            var looked = accept is not null && ServedCodings.Any(c => AcceptEncoding.Quality(accept, c) > 0);
            Assert.That(response.Header("Vary"), Is.EqualTo(looked ? "Accept-Encoding" : null));
        });
    }

    [Test]
    public void DecodedBytes_EqualTheOriginal()
    {
        using var connection = Server.Connect();
        var br = connection.Get("/app.js", "Accept-Encoding: br\r\n");
        var gz = connection.Get("/app.js", "Accept-Encoding: gzip\r\n");
        Assert.That(Decompress(br.Body, s => new BrotliStream(s, CompressionMode.Decompress)), Is.EqualTo(_original));
        Assert.That(Decompress(gz.Body, s => new GZipStream(s, CompressionMode.Decompress)), Is.EqualTo(_original));
    }

    [Test]
    public void StaleSibling_IsIgnored()
    {
        using var connection = Server.Connect();
        var response = connection.Get("/old.css", "Accept-Encoding: gzip\r\n");
        Assert.That(response.Header("Content-Encoding"), Is.Null);
        Assert.That(response.Body, Is.EqualTo(_original));
    }

    [Test]
    public void ETags_DifferPerCoding_And304KeepsVary()
    {
        using var connection = Server.Connect();
        var tags = Codings.Select(c => connection.Get("/app.js", $"Accept-Encoding: {c}\r\n").Header("ETag")).ToList();
        Assert.That(tags.Distinct().Count(), Is.EqualTo(3), string.Join(" ", tags));
        var notModified = connection.Get("/app.js", $"Accept-Encoding: br\r\nIf-None-Match: {tags[0]}\r\n");
        var otherCoding = connection.Get("/app.js", $"Accept-Encoding: gzip\r\nIf-None-Match: {tags[0]}\r\n");
        Assert.Multiple(() =>
        {
            Assert.That(notModified.Status, Is.EqualTo(304));
            Assert.That(notModified.Header("Vary"), Is.EqualTo("Accept-Encoding"));
            Assert.That(otherCoding.Status, Is.EqualTo(200), "br's tag does not validate gzip's bytes");
        });
    }

    [Test]
    public void RangesAndHead_ApplyToTheEncodedBytes()
    {
        var encoded = File.ReadAllBytes(Tree.PathOf("root/app.js.br"));
        using var connection = Server.Connect();
        var part = connection.Get("/app.js", "Accept-Encoding: br\r\nRange: bytes=10-29\r\n");
        connection.Send("HEAD /app.js HTTP/1.1\r\nHost: t\r\nAccept-Encoding: br\r\n\r\n");
        var head = connection.ReadResponse(isHead: true);
        Assert.Multiple(() =>
        {
            Assert.That(part.Status, Is.EqualTo(206));
            Assert.That(part.Header("Content-Range"), Is.EqualTo($"bytes 10-29/{encoded.Length}"));
            Assert.That(part.Body, Is.EqualTo(encoded[10..30]));
            Assert.That(head.Header("Content-Length"), Is.EqualTo(encoded.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(head.Header("Content-Encoding"), Is.EqualTo("br"));
        });
    }

    [Test]
    public async Task PrecompressedNone_ServesTheOriginalAlways()
    {
        await using var server = TestServer.Start(Tree.PathOf("root"), o => o with { Precompressed = "none" });
        using var connection = server.Connect();
        var response = connection.Get("/app.js", "Accept-Encoding: br, gzip\r\n");
        Assert.That(response.Header("Content-Encoding"), Is.Null);
        Assert.That(response.Header("Vary"), Is.Null);
    }

    [TestCase("gzip;q=0.5, br", "br", 1.0)]
    [TestCase("gzip;q=0.5, br", "gzip", 0.5)]
    [TestCase("*;q=0.3", "zstd", 0.3)]
    [TestCase("br", "gzip", 0.0)]
    [TestCase("X-GZIP", "gzip", 1.0)]
    public void Quality_FollowsRfc9110(string accept, string coding, double q) =>
        Assert.That(AcceptEncoding.Quality(accept, coding), Is.EqualTo(q));

    [TestCase("gzip", 1.0)]
    [TestCase("identity;q=0", 0.0)]
    [TestCase("*;q=0", 0.0)]
    [TestCase("*;q=0, identity;q=0.2", 0.2)]
    public void IdentityQuality_IsOneUnlessExcluded(string accept, double q) =>
        Assert.That(AcceptEncoding.IdentityQuality(accept), Is.EqualTo(q));

    private static byte[] Compress(byte[] bytes, Func<Stream, Stream> encoder)
    {
        using var output = new MemoryStream();
        using (var stream = encoder(output))
        {
            stream.Write(bytes);
        }
        return output.ToArray();
    }

    private static byte[] Decompress(byte[] bytes, Func<Stream, Stream> decoder)
    {
        using var output = new MemoryStream();
        using (var stream = decoder(new MemoryStream(bytes)))
        {
            stream.CopyTo(output);
        }
        return output.ToArray();
    }
}
