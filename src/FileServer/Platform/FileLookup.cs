namespace FileServer.Platform;

/// <summary>What a lookup beneath the root found.</summary>
internal enum LookupOutcome
{
    /// <summary>Something is there: see <see cref="FileLookup.Status"/> for its kind.</summary>
    Found,
    /// <summary>Nothing is there, or only by a link that leaves the root.</summary>
    Missing,
    /// <summary>A directory on the way may not be searched: nothing can be said about what is behind it.</summary>
    Denied,
}

/// <summary>
/// The result of <see cref="IFileRoot.Find"/>: the entry's status and, on Linux, descriptors that pin down what
/// was found without opening it for reading: the directory that holds it (its last name is then looked up again
/// there, with <c>O_NOFOLLOW</c>), or the entry itself (<c>O_PATH</c>) when links led to it. A name swapped
/// afterwards therefore cannot lead <see cref="IFileRoot.Open"/> out of the root.
/// </summary>
/// <remarks>
/// A value type holding plain descriptors, so that the lookup of a cached file costs no allocation: dispose
/// exactly one copy, exactly once.
/// </remarks>
internal readonly struct FileLookup : IDisposable
{
    private readonly string? _rootPath;
    private readonly string? _path;

    internal FileLookup(LookupOutcome outcome, string rootPath, string relativePath, FileStatus status = default,
        int directory = -1, int entry = -1, string? path = null)
    {
        Outcome = outcome;
        _rootPath = rootPath;
        RelativePath = relativePath;
        Status = status;
        Directory = directory;
        Entry = entry;
        _path = path;
    }

    /// <summary>Whether something is there.</summary>
    public LookupOutcome Outcome { get; }

    /// <summary>The names asked for, joined by <c>/</c> (empty for the root): what a response is named after.</summary>
    public string RelativePath { get; }

    /// <summary>The entry's path for logs: the root's real path joined with <see cref="RelativePath"/>.</summary>
    public string Path => _path ?? (RelativePath.Length == 0 ? _rootPath ?? "" : string.Concat(_rootPath, "/", RelativePath));

    /// <summary>Kind, size, modification time and identity of what was found, as of the lookup.</summary>
    public FileStatus Status { get; }

    /// <summary>A descriptor of the directory holding the entry's last name; -1 for the root itself (or none).</summary>
    internal int Directory { get; }

    /// <summary>An <c>O_PATH</c> descriptor of the entry itself; -1 when <see cref="Directory"/> and the name say where it is.</summary>
    internal int Entry { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        LinuxFileCalls.Close(Directory);
        LinuxFileCalls.Close(Entry);
    }
}
