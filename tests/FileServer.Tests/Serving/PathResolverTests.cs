using FileServer.Platform;
using FileServer.Serving;
using FileServer.Tests.Support;

namespace FileServer.Tests.Serving;

// Both ways the Linux root confines lookups: the kernel's openat2, and the openat walk it falls back to.
[TestFixture(true)]
[TestFixture(false)]
public class PathResolverTests(bool useOpenat2)
{
    private TempTree _tree = null!;
    private string _root = null!;
    private string _outside = null!;
    private readonly IPlatform _platform = PosixPlatform.IsSupported() ? new PosixPlatform(useOpenat2) : PlatformDetector.Detect();
    private readonly List<IFileRoot> _roots = [];

    [SetUp]
    public void SetUp()
    {
        _tree = new TempTree();
        _root = Path.Combine(_tree.Root, "root");
        _outside = Path.Combine(_tree.Root, "outside");
        _tree.WriteText("root/a.txt", "a");
        _tree.WriteText("root/dir/index.html", "index");
        _tree.WriteText("root/noindex/x.txt", "x");
        _tree.WriteText("root/.hidden", "h");
        _tree.WriteText("root/.git/config", "c");
        _tree.WriteText("outside/secret.txt", "secret");
        File.CreateSymbolicLink(Path.Combine(_root, "inside-link.txt"), Path.Combine(_root, "a.txt"));
        File.CreateSymbolicLink(Path.Combine(_root, "relative-link.txt"), "dir/index.html");
        File.CreateSymbolicLink(Path.Combine(_root, "escape.txt"), Path.Combine(_outside, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "escape-dir"), _outside);
        File.CreateSymbolicLink(Path.Combine(_root, "dir", "up.txt"), "../../outside/secret.txt");
        File.CreateSymbolicLink(Path.Combine(_root, "dir", "back.txt"), "../a.txt");
        File.CreateSymbolicLink(Path.Combine(_root, "absolute-inside.txt"), Path.Combine(_platform.ResolveRealPath(_root)!, "dir", "index.html"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "alias"), "dir/");
        Directory.CreateSymbolicLink(Path.Combine(_root, "dir", "self"), "../dir");
        File.CreateSymbolicLink(Path.Combine(_root, "loop-a"), "loop-b");
        File.CreateSymbolicLink(Path.Combine(_root, "loop-b"), "loop-a");
        File.CreateSymbolicLink(Path.Combine(_root, "dangling"), "nothing-here");
        File.CreateSymbolicLink(Path.Combine(_root, "file-as-dir"), "a.txt/");
    }

    [TearDown]
    public void TearDown()
    {
        _roots.ForEach(static r => r.Dispose());
        _tree.Dispose();
    }

    private PathResolver CreateResolver(bool follow = false, bool dotfiles = false)
    {
        var root = _platform.OpenRoot(_platform.ResolveRealPath(_root)!, follow);
        _roots.Add(root);
        return new PathResolver(root, dotfiles);
    }

    private PathResolution Resolve(string target, bool follow = false, bool dotfiles = false)
    {
        Assert.That(RequestTarget.TryParse(target, out var parsed), Is.True);
        return CreateResolver(follow, dotfiles).Resolve(parsed);
    }

    // The bytes of the file a resolution found, read through the root as the server reads them.
    private string Read(PathResolution result)
    {
        Assert.That(result.Kind, Is.EqualTo(PathResolutionKind.File));
        using var found = result.File;
        using var file = _roots[^1].Open(found);
        var bytes = new byte[file.Status.Length];
        Assert.That(RandomAccess.Read(file.Handle, bytes, 0), Is.EqualTo(bytes.Length));
        return System.Text.Encoding.UTF8.GetString(bytes);
    }

    [Test]
    public void SameResolver_SeesFilesReplacedSinceTheLastRequest()
    {
        // Decoded paths are cached per resolver; what is on disk never is.
        var resolver = CreateResolver();
        Assert.That(RequestTarget.TryParse("/a.txt", out var target), Is.True);
        Assert.That(resolver.Resolve(target).Kind, Is.EqualTo(PathResolutionKind.File));

        File.Delete(Path.Combine(_root, "a.txt"));
        Assert.That(resolver.Resolve(target).Kind, Is.EqualTo(PathResolutionKind.NotFound));

        File.CreateSymbolicLink(Path.Combine(_root, "a.txt"), Path.Combine(_outside, "secret.txt"));
        Assert.That(resolver.Resolve(target).Kind, Is.EqualTo(PathResolutionKind.NotFound), "a link out of the root, swapped in");

        File.Delete(Path.Combine(_root, "a.txt"));
        Directory.CreateDirectory(Path.Combine(_root, "a.txt"));
        Assert.That(resolver.Resolve(target).Kind, Is.EqualTo(PathResolutionKind.Redirect), "now a directory");
    }

    [Test]
    public void ThousandsOfMissingSegments_AreNotFound()
    {
        var target = "/missing" + string.Concat(Enumerable.Repeat("/a", 3500));
        Assert.That(Resolve(target).Kind, Is.EqualTo(PathResolutionKind.NotFound));
    }

    [Test]
    public void RegularFile_Resolves()
    {
        var result = Resolve("/a.txt");
        Assert.That(result.Kind, Is.EqualTo(PathResolutionKind.File));
        Assert.That(Read(result), Is.EqualTo("a"));
    }

    [TestCase("/a.txt/")]
    [TestCase("/a.txt/.")]
    [TestCase("/a.txt/%2e")]
    [TestCase("/inside-link.txt/")]
    [TestCase("/dir/index.html/")]
    public void FileAskedForAsADirectory_Is404(string target)
    {
        Assert.That(Resolve(target).Kind, Is.EqualTo(PathResolutionKind.NotFound));
    }

    [TestCase("/dir/.")]
    [TestCase("/dir/%2e")]
    public void DirectoryNamedByATrailingDotSegment_ServesItsIndex_WithoutARedirect(string target)
    {
        var result = Resolve(target);
        Assert.That(result.Kind, Is.EqualTo(PathResolutionKind.File));
        Assert.That(Read(result), Is.EqualTo("index"));
    }

    [Test]
    public void DirectoryWithoutSlash_RedirectsKeepingQuery()
    {
        var result = Resolve("/dir?x=1");
        Assert.That((result.Kind, result.Location), Is.EqualTo((PathResolutionKind.Redirect, "/dir/?x=1")));
    }

    [Test]
    public void DirectoryWithSlash_ServesIndexHtml()
    {
        var result = Resolve("/dir/");
        Assert.That(Read(result), Is.EqualTo("index"));
    }

    [Test]
    public void DirectoryWithoutIndex_Is404()
    {
        Assert.That(Resolve("/noindex/").Kind, Is.EqualTo(PathResolutionKind.NotFound));
    }

    [Test]
    public void DirectoryWithoutIndex_ResolvesToItself_WhereListingsAreOn()
    {
        var root = _platform.OpenRoot(_platform.ResolveRealPath(_root)!, followSymlinks: false);
        _roots.Add(root);
        Assert.That(RequestTarget.TryParse("/noindex/", out var target), Is.True);
        var result = new PathResolver(root, allowDotfiles: false, listDirectories: true).Resolve(target);
        using var found = result.File;
        Assert.Multiple(() =>
        {
            Assert.That(result.Kind, Is.EqualTo(PathResolutionKind.Directory));
            Assert.That(found.RelativePath, Is.EqualTo("noindex"));
        });
    }

    [TestCase("/inside-link.txt", "a")]
    [TestCase("/relative-link.txt", "index")]
    [TestCase("/dir/back.txt", "a")]
    [TestCase("/absolute-inside.txt", "index")]
    [TestCase("/alias/index.html", "index")]
    [TestCase("/alias/", "index")]
    [TestCase("/dir/self/self/back.txt", "a")]
    public void SymlinkInsideRoot_IsServed(string target, string content)
    {
        var result = Resolve(target);
        Assert.That(result.Kind, Is.EqualTo(PathResolutionKind.File));
        Assert.That(Read(result), Is.EqualTo(content));
    }

    [TestCase("/escape.txt")]
    [TestCase("/escape-dir/secret.txt")]
    [TestCase("/dir/up.txt")]
    public void SymlinkLeadingOutside_Is404_UnlessFollowing(string target)
    {
        Assert.That(Resolve(target).Kind, Is.EqualTo(PathResolutionKind.NotFound));
        var followed = Resolve(target, follow: true);
        Assert.That(followed.Kind, Is.EqualTo(PathResolutionKind.File));
        Assert.That(Read(followed), Is.EqualTo("secret"));
    }

    [TestCase("/.hidden")]
    [TestCase("/.git/config")]
    [TestCase("/%2Ehidden")]
    public void Dotfiles_Are404_UnlessAllowed(string target)
    {
        Assert.That(Resolve(target).Kind, Is.EqualTo(PathResolutionKind.NotFound));
        Assert.That(Resolve(target, dotfiles: true).Kind, Is.EqualTo(PathResolutionKind.File));
    }

    [TestCase("/../outside/secret.txt")]
    [TestCase("/%2e%2e/outside/secret.txt")]
    [TestCase("/dir%2f..%2f..%2foutside%2fsecret.txt")]
    [TestCase("/a.txt%00.html")]
    public void TraversalAttempts_AreBadRequests(string target)
    {
        Assert.That(Resolve(target).Kind, Is.EqualTo(PathResolutionKind.BadRequest));
    }

    [Test]
    public void AbsoluteFormTarget_UsesItsPath()
    {
        Assert.That(Resolve("http://example.com/a.txt").Kind, Is.EqualTo(PathResolutionKind.File));
        Assert.That(Resolve("http://example.com").Kind, Is.EqualTo(PathResolutionKind.NotFound), "root without index");
    }

    [Test]
    public void Fifo_IsForbidden_AndNeverOpened()
    {
        var fifo = Path.Combine(_root, "pipe");
        var made = System.Diagnostics.Process.Start("mkfifo", fifo);
        made.WaitForExit();
        Assume.That(made.ExitCode, Is.Zero, "mkfifo available");
        Assert.That(Resolve("/pipe").Kind, Is.EqualTo(PathResolutionKind.Forbidden));
        Assert.Throws<NotRegularFileException>(() => _platform.OpenForReading(fifo), "opening never blocks on a FIFO");
    }

    [TestCase("/loop-a")]
    [TestCase("/dangling")]
    [TestCase("/file-as-dir")]
    public void BrokenLinks_Are404(string target)
    {
        Assert.That(Resolve(target).Kind, Is.EqualTo(PathResolutionKind.NotFound));
    }

    [Test]
    public void LinuxRoot_IsConfinedByTheKernel_UnlessTheWalkIsAskedFor()
    {
        Assume.That(_platform, Is.TypeOf<PosixPlatform>());
        var root = (PosixFileRoot)_platform.OpenRoot(_platform.ResolveRealPath(_root)!, followSymlinks: false);
        _roots.Add(root);
        // Linux has had openat2 since 5.6; a kernel without it would fall back to the walk, which this asserts not.
        Assert.That(root.KernelConfines, Is.EqualTo(useOpenat2));
    }

    [Test]
    public void Missing_Is404()
    {
        Assert.That(Resolve("/nope.txt").Kind, Is.EqualTo(PathResolutionKind.NotFound));
        Assert.That(Resolve("/a.txt/more").Kind, Is.EqualTo(PathResolutionKind.NotFound));
    }
}
