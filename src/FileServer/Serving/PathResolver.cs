using FileServer.Platform;

namespace FileServer.Serving;

/// <summary>
/// Maps a request path onto the served root, so that nothing outside the root is ever reached: decoded names
/// only (see <see cref="PathSegments"/>), dotfiles hidden unless allowed, and every lookup made through the
/// <see cref="IFileRoot"/>, which confines links to the root and hands over what it found, not a name to open
/// again. Listings, precompressed siblings and archives resolve through here too.
/// </summary>
internal sealed class PathResolver
{
    private const string IndexFile = "index.html";

    private readonly IFileRoot _root;
    private readonly bool _allowDotfiles;
    private readonly bool _listDirectories;
    private readonly OpenFileCache? _files;

    // Decoded request paths by raw path: a direct-mapped table (a collision replaces the entry; lookups never lock).
    // Only the decoding is cached; every request still looks its path up. Only short paths are kept, so the table
    // stays small (256 entries of a few hundred bytes) whatever clients send.
    private const int DecodedCacheSize = 256;
    private const int CachedPathMaxLength = 256;
    private readonly DecodedPath?[] _decoded = new DecodedPath?[DecodedCacheSize];

    /// <summary>
    /// Creates a resolver for the files beneath <paramref name="root"/>; with <paramref name="files"/>, the cached file
    /// of each path is held before the path is looked up (see <see cref="OpenFileCache.Hold"/>). With
    /// <paramref name="listDirectories"/>, a directory without <c>index.html</c> resolves to itself, to be listed.
    /// </summary>
    public PathResolver(IFileRoot root, bool allowDotfiles, OpenFileCache? files = null, bool listDirectories = false)
    {
        _root = root;
        _allowDotfiles = allowDotfiles;
        _files = files;
        _listDirectories = listDirectories;
    }

    /// <summary>Whether names starting with a dot are served (and listed).</summary>
    public bool AllowDotfiles => _allowDotfiles;

    /// <summary>The root every lookup goes through: where the files found are opened.</summary>
    public IFileRoot Root => _root;

    /// <summary>
    /// Resolves <paramref name="target"/>'s path. A <see cref="PathResolutionKind.File"/> result carries the
    /// lookup of the file, which the caller disposes.
    /// </summary>
    /// <remarks>With <paramref name="directoryItself"/>, a directory resolves to itself even where it has an index file or listings are off (a folder archive).</remarks>
    /// <exception cref="IOException">A lookup failed for a reason not the client's (EMFILE, EIO).</exception>
    public PathResolution Resolve(RequestTarget target, bool directoryItself = false)
    {
        var slot = (int)((uint)target.RawPath.GetHashCode() % DecodedCacheSize);
        var decoded = Volatile.Read(ref _decoded[slot]);
        if (decoded is null || !string.Equals(decoded.RawPath, target.RawPath, StringComparison.Ordinal))
        {
            if (!PathSegments.TryDecode(target.RawPath, out var names, out var namesDirectory, out var error))
            {
                return new PathResolution(PathResolutionKind.BadRequest, Reason: error);
            }
            decoded = new DecodedPath(target.RawPath, names, string.Join('/', names), namesDirectory);
            if (target.RawPath.Length <= CachedPathMaxLength)
            {
                Volatile.Write(ref _decoded[slot], decoded);
            }
        }
        if (!_allowDotfiles && decoded.Names.Exists(static s => s.StartsWith('.')))
        {
            return PathResolution.NotFound("Hidden file");
        }

        var held = _files?.Hold(decoded.RelativePath);
        var found = FindHolding(decoded.RelativePath, held);
        if (found.Outcome != LookupOutcome.Found || found.Status.Kind != FileKind.Regular || decoded.NamesDirectory)
        {
            OpenFileCache.Let(held);
            held = null;
        }
        switch (found.Outcome, found.Status.Kind)
        {
            // A file asked for as a directory ("/a.txt/", "/a.txt/."): open(2) would fail with ENOTDIR, and nginx
            // answers 404; serving it would give every file a second URL under which relative links break.
            case (LookupOutcome.Found, FileKind.Regular) when decoded.NamesDirectory:
                found.Dispose();
                return PathResolution.NotFound("Not a directory");
            case (LookupOutcome.Found, FileKind.Regular):
                return new PathResolution(PathResolutionKind.File, File: found, Held: held);
            case (LookupOutcome.Found, FileKind.Directory) when !decoded.NamesDirectory:
                found.Dispose();
                return new PathResolution(PathResolutionKind.Redirect, Location: RedirectLocation.ForDirectory(decoded.Names, target.Query));
            case (LookupOutcome.Found, FileKind.Directory) when directoryItself:
                return new PathResolution(PathResolutionKind.Directory, File: found);
            case (LookupOutcome.Found, FileKind.Directory):
                return ResolveIndex(decoded.RelativePath, found);
            case (LookupOutcome.Found, _):
                found.Dispose();
                return new PathResolution(PathResolutionKind.Forbidden, Reason: "Not a regular file");
            default:
                found.Dispose();
                return Missing(found.Outcome, "No such file");
        }
    }

    // The directory's index.html; else, where listings are on, the directory itself (its lookup handed over).
    private PathResolution ResolveIndex(string directory, FileLookup found)
    {
        // index.html may itself be a link: the root confines it as any requested file.
        var path = directory.Length == 0 ? IndexFile : string.Concat(directory, "/", IndexFile);
        var held = _files?.Hold(path);
        FileLookup index;
        try
        {
            index = FindHolding(path, held);
        }
        catch (IOException)
        {
            found.Dispose();
            throw;
        }
        if (index.Outcome == LookupOutcome.Found && index.Status.Kind == FileKind.Regular)
        {
            found.Dispose();
            return new PathResolution(PathResolutionKind.File, File: index, Held: held);
        }
        OpenFileCache.Let(held);
        index.Dispose();
        if (_listDirectories)
        {
            return new PathResolution(PathResolutionKind.Directory, File: found);
        }
        found.Dispose();
        return Missing(index.Outcome, "Directory has no index.html");
    }

    private FileLookup FindHolding(string relativePath, OpenFileCache.Entry? held)
    {
        try
        {
            return _root.Find(relativePath);
        }
        catch (IOException)
        {
            OpenFileCache.Let(held);
            throw;
        }
    }

    // Behind a directory the server may not search, nothing can be said to be missing: 403, as open(2) would give
    // (and nginx answers), rather than a 404 that tells the client the file is not there.
    private static PathResolution Missing(LookupOutcome outcome, string reason) =>
        outcome == LookupOutcome.Denied
            ? new PathResolution(PathResolutionKind.Forbidden, Reason: "Permission denied")
            : PathResolution.NotFound(reason);

    private sealed record DecodedPath(string RawPath, List<string> Names, string RelativePath, bool NamesDirectory);
}
