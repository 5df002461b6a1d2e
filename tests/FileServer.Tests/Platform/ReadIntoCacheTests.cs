using FileServer.Platform;
using FileServer.Tests.Support;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace FileServer.Tests.Platform;

/// <summary>
/// <see cref="IPlatform.TryReadIntoCache"/> on real files: every page of the range comes into the page cache, the end
/// of the file ends it, a descriptor that cannot be read that way is refused, and no descriptor is left behind.
/// </summary>
[NonParallelizable]
public sealed class ReadIntoCacheTests
{
    private const int Page = 4096;
    private const int MiB = 1024 * 1024;
    private readonly IPlatform _platform = PlatformDetector.Detect();

    [SetUp]
    public void OnLinuxOnly() => Assume.That(_platform.Name, Is.EqualTo("posix"), "sendfile into /dev/null and RWF_NOWAIT are Linux's");

    [Test]
    public void AnEvictedRange_ComesIn_EveryPageOfIt_AndNothingBeforeIt()
    {
        using var tree = new TempTree();
        tree.WriteRandom("cold.bin", 8 * MiB);
        var path = tree.PathOf("cold.bin");
        using var file = File.OpenHandle(path);
        PageCacheEviction.Evict(path);
        var rangeBefore = ResidentPages(file, 1 * MiB, 3 * MiB);
        var headBefore = ResidentPages(file, 0, 1 * MiB);

        var done = _platform.TryReadIntoCache(file, 1 * MiB, 3 * MiB);

        Assert.Multiple(() =>
        {
            Assert.That(rangeBefore, Is.LessThanOrEqualTo(3 * MiB / Page / 2), "evicted (at least mostly)");
            Assert.That(done, Is.True);
            Assert.That(ResidentPages(file, 1 * MiB, 3 * MiB), Is.EqualTo(3 * MiB / Page), "every page of the range");
            Assert.That(ResidentPages(file, 0, 1 * MiB), Is.LessThanOrEqualTo(headBefore), "nothing before it");
        });
    }

    [Test]
    public void ARangePastTheEnd_StopsAtTheEnd_WithTheBytesIntact()
    {
        using var tree = new TempTree();
        tree.WriteRandom("small.bin", 20_000);
        var path = tree.PathOf("small.bin");
        var expected = File.ReadAllBytes(path);
        using var file = File.OpenHandle(path);
        PageCacheEviction.Evict(path);

        var done = _platform.TryReadIntoCache(file, 0, 1L << 40);
        var buffer = new byte[32 * 1024];
        var read = _platform.ReadIfCached(file, buffer, 0);

        Assert.Multiple(() =>
        {
            Assert.That(done, Is.True);
            Assert.That(read, Is.EqualTo(expected.Length), "all of it cached, read without waiting");
            Assert.That(buffer.AsSpan(0, read).SequenceEqual(expected), Is.True);
        });
    }

    [Test]
    public void ADescriptorWithoutAPosition_IsRefused_AndAClosedOneThrows_LeavingNoDescriptorOpen()
    {
        using var tree = new TempTree();
        tree.WriteRandom("hot.bin", 64 * 1024);
        var path = tree.PathOf("hot.bin");
        var fifo = tree.PathOf("fifo");
        Assert.That(Syscall.mkfifo(fifo, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR), Is.Zero);
        var nullsBefore = OpenDevNulls();

        bool refused;
        // O_RDWR: a FIFO opened so never waits for a writer on Linux.
        using (var pipe = File.OpenHandle(fifo, FileMode.Open, FileAccess.ReadWrite))
        {
            refused = !_platform.TryReadIntoCache(pipe, 0, 4096);
        }
        var file = File.OpenHandle(path);
        var hot = Enumerable.Range(0, 100).All(_ => _platform.TryReadIntoCache(file, 0, 64 * 1024));
        file.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(refused, Is.True, "sendfile has no offset to read a FIFO from (ESPIPE)");
            Assert.That(hot, Is.True);
            Assert.That(() => _platform.TryReadIntoCache(file, 0, 4096), Throws.TypeOf<ObjectDisposedException>());
            Assert.That(OpenDevNulls(), Is.EqualTo(nullsBefore), "each call closes the /dev/null it opened");
        });
    }

    // Pages of the range the page cache holds, by mincore(2) over a mapping of the file: unlike a read, even an
    // RWF_NOWAIT one, it starts no readahead that would bring in the very pages being counted.
    private static int ResidentPages(SafeFileHandle file, long offset, long length)
    {
        var mapping = Syscall.mmap(IntPtr.Zero, (ulong)length, MmapProts.PROT_READ, MmapFlags.MAP_SHARED, (int)file.DangerousGetHandle(), offset);
        Assert.That(mapping, Is.Not.EqualTo(Syscall.MAP_FAILED), $"mmap: {Stdlib.GetLastError()}");
        try
        {
            var pages = new byte[length / Page];
            Assert.That(Syscall.mincore(mapping, (ulong)length, pages), Is.Zero, $"mincore: {Stdlib.GetLastError()}");
            return pages.Count(page => (page & 1) != 0);
        }
        finally
        {
            _ = Syscall.munmap(mapping, (ulong)length);
        }
    }

    private static int OpenDevNulls() => OpenDescriptors.Targets().Count(target => target == "/dev/null");
}
