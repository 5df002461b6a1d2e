namespace FileServer.Platform;

/// <summary>
/// The root where no descriptor-relative lookup exists (any OS but Linux): each lookup walks the path by name with
/// <c>lstat</c>, sends a path with a link through <c>realpath</c> and checks it is still inside the root, then opens
/// by name. Not free of races: a name swapped between the check and the open is followed. Linux uses
/// <see cref="PosixFileRoot"/>.
/// </summary>
internal sealed class ManagedFileRoot(ManagedPlatform platform, string realPath, bool followSymlinks) : IFileRoot
{
    private readonly string _root = Path.TrimEndingDirectorySeparator(realPath);

    /// <inheritdoc />
    public string RealPath => _root;

    /// <inheritdoc />
    public string Confinement => followSymlinks ? "none (links followed anywhere)" : "lstat and realpath (not race-free)";

    /// <inheritdoc />
    public FileLookup Find(string relativePath)
    {
        var names = relativePath.Length == 0 ? [] : relativePath.Split('/');
        var path = _root;
        for (var i = 0; i < names.Length; i++)
        {
            path = Path.Join(path, names[i]);
            var status = platform.GetLinkStatus(path);
            if (status?.Kind == FileKind.SymbolicLink)
            {
                return Follow(relativePath, Path.Join([path, .. names.Skip(i + 1)]));
            }
            if (status is null || (i < names.Length - 1 && status.Value.Kind != FileKind.Directory))
            {
                return Missing(relativePath, path);
            }
        }
        return platform.GetStatus(path) is { } found ? Found(relativePath, path, found) : Missing(relativePath, path);
    }

    /// <inheritdoc />
    public IReadOnlyList<DirectoryEntry> List(in FileLookup found)
    {
        var entries = new List<DirectoryEntry>();
        var prefix = found.RelativePath.Length == 0 ? "" : found.RelativePath + "/";
        foreach (var info in new DirectoryInfo(found.Path).EnumerateFileSystemInfos())
        {
            var status = info.LinkTarget is null ? platform.GetLinkStatus(info.FullName) : Follow(prefix + info.Name);
            if (status is { Kind: FileKind.Regular or FileKind.Directory } known)
            {
                entries.Add(new DirectoryEntry(info.Name, null, known.Kind, known.Length, known.ModifiedUnixNanoseconds, info.LinkTarget is not null));
            }
        }
        return entries;
    }

    private FileStatus? Follow(string relativePath)
    {
        var target = Find(relativePath);
        return target.Outcome == LookupOutcome.Found ? target.Status : null;
    }

    /// <inheritdoc />
    public OpenedFile Open(in FileLookup found) => platform.OpenForReading(found.Path);

    /// <inheritdoc />
    // Statuses here carry no identity, so the open-file cache never holds these files and never asks.
    public bool StillNames(in FileLookup found, FileIdentity identity) => false;

    /// <inheritdoc />
    public void Dispose()
    {
        // Nothing held: every lookup starts from the root's name.
    }

    private FileLookup Follow(string relativePath, string path)
    {
        var real = platform.ResolveRealPath(path);
        if (real is null || !(followSymlinks || IsUnderRoot(real)))
        {
            return Missing(relativePath, path);
        }
        return platform.GetStatus(real) is { } found ? Found(relativePath, real, found) : Missing(relativePath, path);
    }

    private FileLookup Found(string relativePath, string path, FileStatus status) =>
        new(LookupOutcome.Found, _root, relativePath, status, path: path);

    // Behind a directory the server may not search, nothing can be said to be missing.
    private FileLookup Missing(string relativePath, string path) =>
        new(ManagedPlatform.IsLookupDenied(path) ? LookupOutcome.Denied : LookupOutcome.Missing, _root, relativePath, path: path);

    private bool IsUnderRoot(string real) =>
        real.Length == _root.Length
            ? string.Equals(real, _root, StringComparison.Ordinal)
            : real.StartsWith(_root, StringComparison.Ordinal) &&
              (_root.EndsWith(Path.DirectorySeparatorChar) || real[_root.Length] == Path.DirectorySeparatorChar);
}
