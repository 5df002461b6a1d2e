using FileServer.Platform;

namespace FileServer.Serving;

/// <summary>
/// Maps a request path onto the served root, so that nothing outside the root is ever reached: decoded
/// segments only (see <see cref="PathSegments"/>), dotfiles hidden unless allowed, and every symlink resolved
/// and checked against the root's real path unless following links out of the root is allowed.
/// </summary>
public sealed class PathResolver
{
    private const string IndexFile = "index.html";

    private readonly IPlatform _platform;
    private readonly string _rootRealPath;
    private readonly bool _followSymlinks;
    private readonly bool _allowDotfiles;

    // Decoded request paths and the joined file-system paths of their prefixes, by raw path: a direct-mapped table
    // (a collision replaces the entry; lookups never lock). Only the decoding is cached, every request still
    // lstat()s each prefix, so a file or link changed since is seen at once. Only short paths are kept, so the table
    // stays small (at most 256 × 16 prefixes of a few hundred bytes) whatever clients send.
    private const int DecodedCacheSize = 256;
    private const int CachedPathMaxLength = 256;
    private const int CachedPathMaxSegments = 16;
    private readonly DecodedPath?[] _decoded = new DecodedPath?[DecodedCacheSize];

    /// <summary>Creates a resolver for <paramref name="rootRealPath"/>, which must already be a real (resolved) path.</summary>
    public PathResolver(IPlatform platform, string rootRealPath, bool followSymlinks, bool allowDotfiles)
    {
        _platform = platform;
        _rootRealPath = Path.TrimEndingDirectorySeparator(rootRealPath);
        _followSymlinks = followSymlinks;
        _allowDotfiles = allowDotfiles;
    }

    /// <summary>Resolves <paramref name="target"/>'s path.</summary>
    public PathResolution Resolve(RequestTarget target)
    {
        var slot = (int)((uint)target.RawPath.GetHashCode() % DecodedCacheSize);
        var decoded = Volatile.Read(ref _decoded[slot]);
        if (decoded is null || !string.Equals(decoded.RawPath, target.RawPath, StringComparison.Ordinal))
        {
            if (!PathSegments.TryDecode(target.RawPath, out var decodedSegments, out var directoryOnly, out var error))
            {
                return new PathResolution(PathResolutionKind.BadRequest, Reason: error);
            }
            decoded = new DecodedPath(target.RawPath, decodedSegments, directoryOnly, new string?[decodedSegments.Count]);
            if (target.RawPath.Length <= CachedPathMaxLength && decodedSegments.Count <= CachedPathMaxSegments)
            {
                Volatile.Write(ref _decoded[slot], decoded);
            }
        }
        var segments = decoded.Segments;
        var namesDirectory = decoded.NamesDirectory;
        if (!_allowDotfiles && segments.Exists(s => s.StartsWith('.')))
        {
            return PathResolution.NotFound("Hidden file");
        }

        var (real, status) = Locate(segments, decoded.Prefixes);
        switch (status?.Kind)
        {
            // A file asked for as a directory ("/a.txt/", "/a.txt/."): open(2) would fail with ENOTDIR, and nginx
            // answers 404; serving it would give every file a second URL under which relative links break.
            case FileKind.Regular when namesDirectory:
                return PathResolution.NotFound("Not a directory");
            case FileKind.Regular:
                return new PathResolution(PathResolutionKind.File, FilePath: real, FileStatus: status.Value);
            case FileKind.Directory when !namesDirectory:
                return new PathResolution(PathResolutionKind.Redirect, Location: target.RawPath + "/" + target.Query);
            case FileKind.Directory:
                return ResolveIndex(real);
            case FileKind.Other:
                return new PathResolution(PathResolutionKind.Forbidden, Reason: "Not a regular file");
            default:
                return Missing(real, "No such file");
        }
    }

    private PathResolution ResolveIndex(string directory)
    {
        // index.html may itself be a link: it gets the same check as any requested file.
        var candidate = Path.Join(directory, IndexFile);
        var (index, status) = Follow(candidate, _platform.GetLinkStatus(candidate));
        return status is { Kind: FileKind.Regular } found
            ? new PathResolution(PathResolutionKind.File, FilePath: index, FileStatus: found)
            : Missing(index, "Directory has no index.html");
    }

    // Behind a directory the server may not search, nothing can be said to be missing: 403, as open(2) would give
    // (and nginx answers), rather than a 404 that tells the client the file is not there.
    private PathResolution Missing(string path, string reason) =>
        _platform.IsLookupDenied(path)
            ? new PathResolution(PathResolutionKind.Forbidden, Reason: "Permission denied")
            : PathResolution.NotFound(reason);

    /// <summary>
    /// Walks the segments down from the root with <c>lstat</c>: a path without links (the common case) costs one
    /// call per segment, and the last one gives the kind. A link anywhere sends the whole path through
    /// <c>realpath</c> and the containment check. Null status: nothing servable there. Each prefix is joined only
    /// when the walk gets to it (and kept in <paramref name="prefixes"/>), so a long path of names that do not
    /// exist costs one join, not one per segment.
    /// </summary>
    private (string Path, FileStatus? Status) Locate(List<string> segments, string?[] prefixes)
    {
        if (segments.Count == 0)
        {
            return (_rootRealPath, _platform.GetStatus(_rootRealPath));
        }
        var path = _rootRealPath;
        for (var i = 0; i < segments.Count; i++)
        {
            // A benign race: two requests may both join a missing prefix; they store equal strings.
            path = prefixes[i] ??= Path.Join(path, segments[i]);
            var status = _platform.GetLinkStatus(path);
            if (status?.Kind == FileKind.SymbolicLink)
            {
                return Follow(Path.Join([path, .. segments.Skip(i + 1)]), status);
            }
            if (status is null || (i < segments.Count - 1 && status.Value.Kind != FileKind.Directory))
            {
                return (path, null);
            }
            if (i == segments.Count - 1)
            {
                return (path, status);
            }
        }
        return (path, null);
    }

    // Prefixes[i], once joined, is the root joined with segments 0..i.
    private sealed record DecodedPath(string RawPath, List<string> Segments, bool NamesDirectory, string?[] Prefixes);

    private (string Path, FileStatus? Status) Follow(string path, FileStatus? linkStatus)
    {
        if (linkStatus?.Kind != FileKind.SymbolicLink)
        {
            return (path, linkStatus);
        }
        var real = ResolveInsideRoot(path);
        return real is null ? (path, null) : (real, _platform.GetStatus(real));
    }

    private string? ResolveInsideRoot(string path)
    {
        var real = _platform.ResolveRealPath(path);
        if (real is null)
        {
            return null;
        }
        if (_followSymlinks || IsUnderRoot(real))
        {
            return real;
        }
        return null;
    }

    private bool IsUnderRoot(string real) =>
        real.Length == _rootRealPath.Length
            ? string.Equals(real, _rootRealPath, StringComparison.Ordinal)
            : real.StartsWith(_rootRealPath, StringComparison.Ordinal) &&
              (_rootRealPath.EndsWith(Path.DirectorySeparatorChar) || real[_rootRealPath.Length] == Path.DirectorySeparatorChar);
}
