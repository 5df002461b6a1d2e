using System.Security.Cryptography;
using FileServer.Platform;
using FileServer.Serving;
using FileServer.Tests.Support;

namespace FileServer.Tests.Serving;

/// <summary>
/// Cold ranges: the page-cache probe tells an evicted range from a cached one, the warmer reads it in on its own
/// threads, and a download of an evicted file through the server, on either body path, is byte for byte the file.
/// </summary>
[NonParallelizable]
public sealed class ColdRangeWarmerTests
{
    private const int Size = 8 * 1024 * 1024;
    private readonly IPlatform _platform = PlatformDetector.Detect();

    // Both ways a reader brings a range in: sendfile into /dev/null, and a buffer where the platform refuses that.
    [TestCase(true)]
    [TestCase(false)]
    public async Task AnEvictedRange_IsNotCached_UntilTheWarmerHasReadIt(bool copyFreeReadIn)
    {
        using var tree = new TempTree();
        tree.WriteRandom("cold.bin", Size);
        var path = tree.PathOf("cold.bin");
        using var file = File.OpenHandle(path);
        Assume.That(_platform.Name, Is.EqualTo("posix"), "the probe is preadv2(RWF_NOWAIT), Linux only");
        var platform = new ReopeningPlatform(copyFreeReadIn: copyFreeReadIn);
        Assume.That(PageCacheEviction.Evict(path), Is.Zero, "pages the kernel kept cached");
        using var warmer = new ColdRangeWarmer(platform, readers: 2);
        Assert.That(_platform.IsCached(file, 0, ColdRangeWarmer.Slice), Is.False, "just evicted");
        await warmer.EnsureCachedAsync(file, 0, ColdRangeWarmer.Slice).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Multiple(() =>
        {
            Assert.That(platform.TryReadIntoCache(file, 0, 0), Is.EqualTo(copyFreeReadIn), "the platform as asked");
            Assert.That(_platform.IsCached(file, 0, ColdRangeWarmer.Slice), Is.True, "read in by the warmer");
            Assert.That(_platform.IsCached(file, Size - ColdRangeWarmer.Slice, ColdRangeWarmer.Slice), Is.False, "and only that slice");
        });
    }

    [Test]
    public async Task ReaderThreads_StartOnlyForColdRanges_AndNeverBeyondTheLimit()
    {
        using var tree = new TempTree();
        Assume.That(_platform.Name, Is.EqualTo("posix"), "the probe is preadv2(RWF_NOWAIT), Linux only");
        var paths = Enumerable.Range(0, 6).Select(i =>
        {
            tree.WriteRandom($"cold{i}.bin", ColdRangeWarmer.Slice);
            return tree.PathOf($"cold{i}.bin");
        }).ToArray();
        var files = paths.Select(path => File.OpenHandle(path)).ToArray();
        try
        {
            using var warmer = new ColdRangeWarmer(_platform, readers: 2);
            var idle = warmer.ReadersStarted;
            // Hot ranges (just written) need no reader.
            await Task.WhenAll(files.Select(f => warmer.EnsureCachedAsync(f, 0, ColdRangeWarmer.Slice)));
            var afterHot = warmer.ReadersStarted;
            foreach (var path in paths)
            {
                Assume.That(PageCacheEviction.Evict(path), Is.Zero, "pages the kernel kept cached");
            }
            await Task.WhenAll(files.Select(f => warmer.EnsureCachedAsync(f, 0, ColdRangeWarmer.Slice))).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Multiple(() =>
            {
                Assert.That(idle, Is.Zero, "a new warmer has no thread");
                Assert.That(afterHot, Is.Zero, "cached ranges start none");
                Assert.That(warmer.ReadersStarted, Is.InRange(1, 2), "six cold ranges at once: at least one, at most the limit");
                Assert.That(files.All(f => _platform.IsCached(f, 0, ColdRangeWarmer.Slice)), Is.True, "every range read in");
            });
        }
        finally
        {
            foreach (var file in files)
            {
                file.Dispose();
            }
        }
    }

    // The small sizes are below the size whose pages are looked at first: read without waiting, the miss left to the warmer.
    [TestCase(Size + 12345, 3_000_000, false)]
    [TestCase(Size + 12345, 3_000_000, true)]
    [TestCase(20_000, 1000, false)]
    [TestCase(20_000, 1000, true)]
    [TestCase(200_000, 1000, true)]
    public async Task AnEvictedFile_IsServedByteForByte(int size, int rangeStart, bool disableSendFile)
    {
        using var tree = new TempTree();
        var expected = tree.WriteRandom("root/cold.bin", size);
        var path = tree.PathOf("root/cold.bin");
        await using var server = TestServer.Start(tree.PathOf("root"), o => o with { DisableSendFile = disableSendFile });
        using var connection = server.Connect();
        PageCacheEviction.Evict(path);
        var whole = connection.Get("/cold.bin");
        PageCacheEviction.Evict(path);
        var range = connection.Get("/cold.bin", $"Range: bytes={rangeStart}-\r\n");
        Assert.Multiple(() =>
        {
            Assert.That(whole.Status, Is.EqualTo(200));
            Assert.That(whole.BodySha256, Is.EqualTo(expected));
            Assert.That(range.Status, Is.EqualTo(206));
            Assert.That(range.BodySha256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path).AsSpan(rangeStart)))));
        });
    }

    [Test]
    public async Task ReadIfCached_ReadsNothingOfAnEvictedFile_AndTheBytesOnceTheWarmerHasThem()
    {
        using var tree = new TempTree();
        tree.WriteRandom("cold.bin", 20_000);
        var path = tree.PathOf("cold.bin");
        var expected = File.ReadAllBytes(path);
        using var file = File.OpenHandle(path);
        Assume.That(_platform.Name, Is.EqualTo("posix"), "preadv2(RWF_NOWAIT) is Linux's");
        Assume.That(PageCacheEviction.Evict(path), Is.Zero, "pages the kernel kept cached");
        using var warmer = new ColdRangeWarmer(_platform, readers: 1);
        var buffer = new byte[32 * 1024];

        var cold = warmer.ReadIfCached(file, buffer, 0);
        await warmer.EnsureCachedAsync(file, 0, buffer.Length).WaitAsync(TimeSpan.FromSeconds(30));
        var warm = warmer.ReadIfCached(file, buffer, 0);

        Assert.Multiple(() =>
        {
            Assert.That(cold, Is.EqualTo(-1), "nothing cached, nothing read, no wait");
            Assert.That(warm, Is.EqualTo(expected.Length));
            Assert.That(buffer.AsSpan(0, warm).SequenceEqual(expected), Is.True);
            Assert.That(warmer.ReadIfCached(file, buffer, expected.Length), Is.Zero, "the end of the file");
        });
    }
}
