using Microsoft.Win32.SafeHandles;

namespace FileServer.Platform;

/// <summary>What a lookup beneath the root found.</summary>
public enum LookupOutcome
{
    /// <summary>Something is there: see <see cref="FileLookup.Status"/> for its kind.</summary>
    Found,
    /// <summary>Nothing is there, or only by a link that leaves the root.</summary>
    Missing,
    /// <summary>A directory on the way may not be searched: nothing can be said about what is behind it.</summary>
    Denied,
}

/// <summary>
/// The result of <see cref="IFileRoot.Find"/>: the entry's status and, where the platform has one, a descriptor
/// that names the entry without opening it for reading (Linux <c>O_PATH</c>). The descriptor is what
/// <see cref="IFileRoot.Open"/> reopens, so a name swapped afterwards changes nothing. Dispose once.
/// </summary>
public readonly struct FileLookup : IDisposable
{
    internal FileLookup(LookupOutcome outcome, string path, FileStatus status = default, SafeFileHandle? handle = null)
    {
        Outcome = outcome;
        Path = path;
        Status = status;
        Handle = handle;
    }

    /// <summary>Whether something is there.</summary>
    public LookupOutcome Outcome { get; }

    /// <summary>The entry's path (the root's real path joined with the name asked for), for logs.</summary>
    public string Path { get; }

    /// <summary>Kind, size, modification time and identity of what was found, as of the lookup.</summary>
    public FileStatus Status { get; }

    /// <summary>A descriptor naming the entry (not open for reading); null where the platform has none.</summary>
    internal SafeFileHandle? Handle { get; }

    /// <summary>A lookup that found nothing at <paramref name="path"/>.</summary>
    public static FileLookup Missing(string path) => new(LookupOutcome.Missing, path);

    /// <inheritdoc />
    public void Dispose() => Handle?.Dispose();
}
