using System.Security.Cryptography;
using FileServer.Tests.Support;

namespace FileServer.Tests.Integration;

/// <summary>
/// With files kept open between requests, every response still serves what the path names at that moment, on
/// both body paths, and the server holds no more descriptors than the cache allows, none after it stops.
/// </summary>
[TestFixture(false)]
[TestFixture(true)]
[Platform("Linux")]
public class OpenFileCacheTests(bool disableSendFile)
{
    private const int Size = 200_000;
    private static readonly DateTime SameTime = new(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc);
    private TempTree _tree = null!;

    [SetUp]
    public void CreateTree() => _tree = new TempTree();

    [TearDown]
    public void DeleteTree() => _tree.Dispose();

    [Test]
    public async Task FileReplacedByRename_WithSameSizeAndTime_NextResponseHasTheNewBytes()
    {
        var path = _tree.PathOf("a.bin");
        var oldHash = _tree.WriteRandom("a.bin", Size, seed: 1);
        File.SetLastWriteTimeUtc(path, SameTime);
        await using var server = Start(cacheSize: 16);
        using var connection = server.Connect();
        Assert.That(connection.Get("/a.bin").BodySha256, Is.EqualTo(oldHash));

        // Only the inode tells the two files apart: size and modification time are the same.
        var newHash = _tree.WriteRandom("a.tmp", Size, seed: 2);
        File.SetLastWriteTimeUtc(_tree.PathOf("a.tmp"), SameTime);
        File.Move(_tree.PathOf("a.tmp"), path, overwrite: true);

        var whole = connection.Get("/a.bin");
        var range = connection.Get("/a.bin", "Range: bytes=1000-1999\r\n");
        // Answered only once the range's response is done (see CacheOff_NoDescriptorOutlivesItsResponse).
        Assert.That(connection.Get("/missing").Status, Is.EqualTo(404));
        Assert.Multiple(() =>
        {
            Assert.That(whole.BodySha256, Is.EqualTo(newHash));
            Assert.That(range.Status, Is.EqualTo(206));
            Assert.That(range.Body, Is.EqualTo(File.ReadAllBytes(path).AsSpan(1000, 1000).ToArray()));
            Assert.That(DescriptorsUnderRoot(), Is.EqualTo(DescriptorsPerFile), "the replaced file's descriptors are closed");
        });
    }

    [Test]
    public async Task FileRewrittenInPlace_NextResponseHasTheNewBytesAndValidators()
    {
        var path = _tree.PathOf("a.bin");
        _tree.WriteRandom("a.bin", Size, seed: 1);
        await using var server = Start(cacheSize: 16);
        using var connection = server.Connect();
        var before = connection.Get("/a.bin");

        var bytes = new byte[Size / 2];
        new Random(3).NextBytes(bytes);
        File.WriteAllBytes(path, bytes); // same inode, truncated and rewritten
        File.SetLastWriteTimeUtc(path, SameTime);

        var after = connection.Get("/a.bin");
        Assert.Multiple(() =>
        {
            Assert.That(after.BodySha256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(bytes))));
            Assert.That(after.Header("Content-Length"), Is.EqualTo((Size / 2).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(after.Header("ETag"), Is.Not.EqualTo(before.Header("ETag")));
            Assert.That(after.Header("Last-Modified"), Is.EqualTo("Mon, 06 May 2024 07:08:09 GMT"));
        });
    }

    [Test]
    public async Task FileDeleted_NextRequestIs404()
    {
        _tree.WriteRandom("a.bin", Size);
        await using var server = Start(cacheSize: 16);
        using var connection = server.Connect();
        Assert.That(connection.Get("/a.bin").Status, Is.EqualTo(200));
        File.Delete(_tree.PathOf("a.bin"));
        Assert.That(connection.Get("/a.bin").Status, Is.EqualTo(404));
    }

    [Test]
    public async Task ManyFiles_DescriptorsStayWithinTheCacheSize_AndNoneAfterStop()
    {
        var hashes = Enumerable.Range(0, 10).Select(i => _tree.WriteRandom($"f{i}.bin", 70_000 + i, seed: i)).ToList();
        var server = Start(cacheSize: 3);
        using (var connection = server.Connect())
        {
            for (var round = 0; round < 2; round++)
            {
                for (var i = 0; i < hashes.Count; i++)
                {
                    Assert.That(connection.Get($"/f{i}.bin").BodySha256, Is.EqualTo(hashes[i]), $"round {round}, file {i}");
                }
            }
            // The connection logs a response before it reads the next request, so every earlier response is done.
            Assert.That(connection.Get("/f9.bin").Status, Is.EqualTo(200));
            Assert.That(DescriptorsUnderRoot(), Is.EqualTo(3 * DescriptorsPerFile));
        }
        await server.DisposeAsync();
        Assert.That(DescriptorsUnderRoot(), Is.Zero);
    }

    [Test]
    public async Task CacheOff_NoDescriptorOutlivesItsResponse()
    {
        var hash = _tree.WriteRandom("a.bin", Size);
        await using var server = Start(cacheSize: 0);
        using var connection = server.Connect();
        Assert.That(connection.Get("/a.bin").BodySha256, Is.EqualTo(hash));
        Assert.That(connection.Get("/a.bin").BodySha256, Is.EqualTo(hash));
        // The client can have the last byte before the server's send has returned and closed the file; the server
        // reads the next request only after that, so its answer proves every earlier response is done.
        Assert.That(connection.Get("/missing").Status, Is.EqualTo(404));
        Assert.That(DescriptorsUnderRoot(), Is.Zero);
    }

    // One descriptor per file on both body paths: it is opened for asynchronous use, so zero-copy sends use it too.
    private const int DescriptorsPerFile = 1;

    private TestServer Start(int cacheSize) =>
        TestServer.Start(_tree.Root, o => o with { DisableSendFile = disableSendFile, OpenFileCacheSize = cacheSize });

    // Descriptors of this (the server's) process open on anything under the tree, deleted files included.
    private int DescriptorsUnderRoot() =>
        OpenDescriptors.Targets().Count(target => target.StartsWith(_tree.Root + "/", StringComparison.Ordinal));
}
