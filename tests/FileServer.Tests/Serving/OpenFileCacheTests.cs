using FileServer.Platform;
using FileServer.Serving;
using FileServer.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace FileServer.Tests.Serving;

/// <summary>
/// The open-file cache on real files and descriptors: a descriptor is reused only while the path names the same
/// inode, what is read is always the file's current content, and every descriptor is closed once nothing holds it.
/// </summary>
[Platform("Linux")]
public class OpenFileCacheTests
{
    private static readonly TimeSpan Inactive = TimeSpan.FromSeconds(10);
    private readonly PosixPlatform _platform = new();
    private TempTree _tree = null!;
    private FakeTimeProvider _clock = null!;
    private IFileRoot _root = null!;

    [SetUp]
    public void CreateTree()
    {
        _tree = new TempTree();
        _clock = new FakeTimeProvider();
        _root = _platform.OpenRoot(_platform.ResolveRealPath(_tree.Root)!, followSymlinks: false);
    }

    [TearDown]
    public void DeleteTree()
    {
        _root.Dispose();
        _tree.Dispose();
    }

    [Test]
    public void Open_SameUnchangedFile_ReusesOneDescriptor()
    {
        _tree.WriteText("a.txt", "alpha");
        using var cache = NewCache(capacity: 8);
        using var first = Open(cache, "a.txt");
        using var second = Open(cache, "a.txt");
        Assert.Multiple(() =>
        {
            Assert.That(second.File, Is.SameAs(first.File));
            Assert.That(cache.Count, Is.EqualTo(1));
            Assert.That(DescriptorsUnderRoot(), Is.EqualTo(1));
        });
    }

    [Test]
    public void Open_FileReplacedByRename_OpensTheNewFileAndClosesTheOldOnceReleased()
    {
        var path = _tree.PathOf("a.txt");
        _tree.WriteText("a.txt", "old content");
        using var cache = NewCache(capacity: 8);
        var old = Open(cache, "a.txt");
        _tree.WriteText("a.tmp", "new content, longer");
        File.Move(_tree.PathOf("a.tmp"), path, overwrite: true);

        using var fresh = Open(cache, "a.txt");
        Assert.Multiple(() =>
        {
            Assert.That(fresh.File, Is.Not.SameAs(old.File));
            Assert.That(ReadAll(fresh), Is.EqualTo("new content, longer"));
            Assert.That(old.File.Handle.IsClosed, Is.False, "a response still reading the old file keeps it open");
        });
        old.Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(old.File.Handle.IsClosed, Is.True);
            Assert.That(DescriptorsUnderRoot(), Is.EqualTo(1));
        });
    }

    [Test]
    public void Open_FileChangedInPlace_ReadsTheNewBytesWithTheNewStatus()
    {
        var path = _tree.PathOf("a.txt");
        _tree.WriteText("a.txt", "version 1");
        using var cache = NewCache(capacity: 8);
        using (Open(cache, "a.txt"))
        {
        }
        File.WriteAllText(path, "version 2 is longer"); // truncates and rewrites the same inode
        File.SetLastWriteTimeUtc(path, new DateTime(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc));

        using var lease = Open(cache, "a.txt");
        Assert.Multiple(() =>
        {
            Assert.That(cache.Count, Is.EqualTo(1));
            Assert.That(lease.Status.Length, Is.EqualTo(19));
            Assert.That(lease.Status.Modified, Is.EqualTo(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero)));
            Assert.That(ReadAll(lease), Is.EqualTo("version 2 is longer"));
        });
    }

    [Test]
    public void Sweep_AfterInactiveTime_ClosesAFileNobodyAskedFor_EvenADeletedOne()
    {
        _tree.WriteText("a.txt", "alpha");
        _tree.WriteText("b.txt", "beta");
        using var cache = NewCache(capacity: 8);
        OpenedFile a, b;
        using (var lease = Open(cache, "a.txt"))
        {
            a = lease.File;
        }
        using (var lease = Open(cache, "b.txt"))
        {
            b = lease.File;
        }
        File.Delete(_tree.PathOf("a.txt"));

        _clock.Advance(Inactive / 2);
        using (Open(cache, "b.txt"))
        {
        }
        _clock.Advance(Inactive / 2);
        Assert.Multiple(() =>
        {
            Assert.That(a.Handle.IsClosed, Is.True, "unused for the whole period: closed, its space given back");
            Assert.That(b.Handle.IsClosed, Is.False, "used within the period: kept");
            Assert.That(cache.Count, Is.EqualTo(1));
        });
        _clock.Advance(Inactive);
        Assert.Multiple(() =>
        {
            Assert.That(b.Handle.IsClosed, Is.True);
            Assert.That(cache.Count, Is.Zero);
            Assert.That(DescriptorsUnderRoot(), Is.Zero);
        });
    }

    [Test]
    public void Open_MoreFilesThanCapacity_ClosesTheLeastRecentlyUsed()
    {
        const int capacity = 4;
        for (var i = 0; i < 10; i++)
        {
            _tree.WriteText($"f{i}.txt", $"file {i}");
        }
        using var cache = NewCache(capacity);
        var opened = new List<OpenedFile>();
        for (var i = 0; i < 10; i++)
        {
            using var lease = Open(cache, $"f{i}.txt");
            Assert.That(ReadAll(lease), Is.EqualTo($"file {i}"));
            opened.Add(lease.File);
        }
        Assert.Multiple(() =>
        {
            Assert.That(cache.Count, Is.EqualTo(capacity));
            Assert.That(DescriptorsUnderRoot(), Is.EqualTo(capacity));
            Assert.That(opened.Take(6).Select(f => f.Handle.IsClosed), Is.All.True);
            Assert.That(opened.Skip(6).Select(f => f.Handle.IsClosed), Is.All.False);
        });
    }

    [Test]
    public void Open_EvictedWhileInUse_StaysOpenUntilTheLeaseEnds()
    {
        _tree.WriteText("a.txt", "alpha");
        _tree.WriteText("b.txt", "beta");
        using var cache = NewCache(capacity: 1);
        var a = Open(cache, "a.txt");
        using (Open(cache, "b.txt"))
        {
        }
        Assert.That(ReadAll(a), Is.EqualTo("alpha"));
        a.Dispose();
        Assert.That(a.File.Handle.IsClosed, Is.True);
    }

    [Test]
    public void Dispose_ClosesIdleFilesAtOnceAndFilesInUseWhenReleased()
    {
        _tree.WriteText("a.txt", "alpha");
        _tree.WriteText("b.txt", "beta");
        var cache = NewCache(capacity: 8);
        OpenedFile idle;
        using (var lease = Open(cache, "a.txt"))
        {
            idle = lease.File;
        }
        var busy = Open(cache, "b.txt");
        cache.Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(idle.Handle.IsClosed, Is.True);
            Assert.That(busy.File.Handle.IsClosed, Is.False);
        });
        busy.Dispose();
        Assert.That(DescriptorsUnderRoot(), Is.Zero);

        using var afterwards = Open(cache, "a.txt");
        Assert.That(ReadAll(afterwards), Is.EqualTo("alpha"), "a response racing the stop is still served");
        afterwards.Dispose();
        Assert.That(DescriptorsUnderRoot(), Is.Zero);
    }

    [Test]
    public void Open_CapacityZero_OpensAndClosesEveryTime()
    {
        _tree.WriteText("a.txt", "alpha");
        using var cache = NewCache(capacity: 0);
        var first = Open(cache, "a.txt");
        var second = Open(cache, "a.txt");
        Assert.That(second.File, Is.Not.SameAs(first.File));
        first.Dispose();
        second.Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(cache.Count, Is.Zero);
            Assert.That(DescriptorsUnderRoot(), Is.Zero);
        });
    }

    [Test]
    public void Open_StatusWithoutIdentity_IsNeverCached()
    {
        _tree.WriteText("a.txt", "alpha");
        using var cache = NewCache(capacity: 8);
        // The portable root: its lookups tell no device and inode.
        using var managed = new ManagedPlatform().OpenRoot(_platform.ResolveRealPath(_tree.Root)!, followSymlinks: false);
        using var found = managed.Find("a.txt");
        Assert.That(found.Status.Identity.IsKnown, Is.False);
        using (var lease = cache.Open(managed, found))
        {
            Assert.That(ReadAll(lease), Is.EqualTo("alpha"));
        }
        Assert.Multiple(() =>
        {
            Assert.That(cache.Count, Is.Zero);
            Assert.That(DescriptorsUnderRoot(), Is.Zero);
        });
    }

    [Test]
    public void Open_FileDeletedAfterItsLookup_IsNotFound_AndCachesNothing()
    {
        _tree.WriteText("a.txt", "alpha");
        using var found = _root.Find("a.txt");
        File.Delete(_tree.PathOf("a.txt"));
        using var cache = NewCache(capacity: 8);
        // The last name is opened again in the directory found, without following links: gone is gone.
        Assert.Throws<FileNotFoundException>(() => cache.Open(_root, found));
        Assert.That(cache.Count, Is.Zero);
    }

    [Test]
    public void Open_FileReplacedByALinkAfterItsLookup_IsNeverFollowed()
    {
        _tree.WriteText("a.txt", "alpha");
        _tree.WriteText("outside.txt", "outside");
        using var found = _root.Find("a.txt");
        File.Delete(_tree.PathOf("a.txt"));
        File.CreateSymbolicLink(_tree.PathOf("a.txt"), _tree.PathOf("outside.txt"));
        using var cache = NewCache(capacity: 8);
        // Swapped for a link between the lookup and the open: the open sees a link and refuses it.
        Assert.Throws<NotRegularFileException>(() => cache.Open(_root, found));
        Assert.That(cache.Count, Is.Zero);
    }

    // Found under load by the test below: the lookup reads a name's inode number before the cache holds anything,
    // the file is deleted, and ext4 gives its number to the very next file. A cache keyed on that number alone served
    // the other file's bytes for the first name.
    [Test]
    public void Open_LookupOfAFileDeletedSince_NeverGetsTheFileThatTookItsInodeNumber()
    {
        _tree.WriteText("f.txt", "the file looked up");
        using var found = _root.Find("f.txt");
        File.Delete(_tree.PathOf("f.txt"));
        _tree.WriteText("g.txt", "ANOTHER FILE");
        using var other = _root.Find("g.txt");
        Assume.That(other.Status.Identity, Is.EqualTo(found.Status.Identity), "the file system gave the freed inode number to the next file (ext4 does)");
        using var cache = NewCache(capacity: 8);
        using (cache.Open(_root, other))
        {
            // Cached under the number the first lookup also carries.
        }
        Assert.Throws<FileNotFoundException>(() => cache.Open(_root, found).Dispose());
    }

    [Test]
    public void Open_WithTheCachedFileHeldBeforeTheLookup_UsesItOnlyWhereTheLookupFoundItAgain()
    {
        _tree.WriteText("f.txt", "first");
        using var cache = NewCache(capacity: 8);
        OpenedFile cached;
        using (var first = _root.Find("f.txt"))
        using (var lease = cache.Open(_root, first))
        {
            cached = lease.File;
        }

        // Held, then found again unchanged: the very file cached, without opening anything.
        var held = cache.Hold("f.txt");
        using (var again = _root.Find("f.txt"))
        using (var lease = cache.Open(_root, again, held))
        {
            Assert.That(lease.File, Is.SameAs(cached));
        }

        // Held, then the name replaced by a rename before the lookup: the lookup's file is opened, not the held one.
        held = cache.Hold("f.txt");
        _tree.WriteText("f.tmp", "second");
        File.Move(_tree.PathOf("f.tmp"), _tree.PathOf("f.txt"), overwrite: true);
        using (var replaced = _root.Find("f.txt"))
        using (var lease = cache.Open(_root, replaced, held))
        {
            Assert.That(ReadAll(lease), Is.EqualTo("second"));
        }
    }

    [Test]
    public async Task Open_ManyConcurrentReadersOfReplacedFiles_ReadRightBytesAndLeakNothing()
    {
        const int files = 12;
        for (var i = 0; i < files; i++)
        {
            _tree.WriteText($"f{i}.txt", Content(i, 0));
        }
        var cache = NewCache(capacity: 5);
        var failures = 0;
        var readers = Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
        {
            var random = new Random(worker);
            for (var n = 0; n < 2000; n++)
            {
                var i = random.Next(files);
                // A rename replaces the name atomically: every lookup finds one version or the other.
                using var found = _root.Find($"f{i}.txt");
                using var lease = cache.Open(_root, found);
                var text = ReadAll(lease);
                // Whatever version was opened, it is one file's whole content, never a mix.
                if (!text.StartsWith($"file {i} version ", StringComparison.Ordinal) || !text.EndsWith('.'))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToList();
        var writer = Task.Run(() =>
        {
            for (var version = 1; version <= 200; version++)
            {
                var i = version % files;
                var temporary = _tree.PathOf($"f{i}.tmp");
                File.WriteAllText(temporary, Content(i, version));
                File.Move(temporary, _tree.PathOf($"f{i}.txt"), overwrite: true);
            }
        });
        await Task.WhenAll([.. readers, writer]);
        Assert.Multiple(() =>
        {
            Assert.That(failures, Is.Zero);
            Assert.That(cache.Count, Is.LessThanOrEqualTo(5));
            Assert.That(DescriptorsUnderRoot(), Is.EqualTo(cache.Count));
        });
        cache.Dispose();
        Assert.That(DescriptorsUnderRoot(), Is.Zero);
    }

    private static string Content(int file, int version) => $"file {file} version {version}" + new string('x', version % 7) + ".";

    private OpenFileCache NewCache(int capacity) => new(capacity, Inactive, _clock);

    private OpenFileCache.Lease Open(OpenFileCache cache, string relative)
    {
        using var found = _root.Find(relative);
        return cache.Open(_root, found);
    }

    private static string ReadAll(OpenFileCache.Lease lease)
    {
        var bytes = new byte[lease.Status.Length];
        var read = RandomAccess.Read(lease.File.Handle, bytes, 0);
        return System.Text.Encoding.UTF8.GetString(bytes, 0, read);
    }

    // Descriptors of this process open on anything under the tree (deleted files included: "/path (deleted)").
    private int DescriptorsUnderRoot() =>
        OpenDescriptors.Targets().Count(target => target.StartsWith(_tree.Root + "/", StringComparison.Ordinal));
}
