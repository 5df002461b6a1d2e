namespace FileServer.Platform;

/// <summary>
/// The served directory, opened once: every file the server serves is found through it, so that what is checked
/// is what is opened. On Linux it holds a descriptor of the root and resolves each path beneath it in the kernel
/// (<c>openat2</c> with <c>RESOLVE_BENEATH</c>) or with a walk of <c>openat(O_NOFOLLOW)</c> calls, never by name
/// from <c>/</c>; a symlink may lead anywhere inside the root, and out of it only where allowed.
/// </summary>
internal interface IFileRoot : IDisposable
{
    /// <summary>The root's real path (every link resolved), for logs and messages.</summary>
    string RealPath { get; }

    /// <summary>How lookups are kept beneath the root, for the start-up log: e.g. <c>openat2</c> or <c>openat walk</c>.</summary>
    string Confinement { get; }

    /// <summary>
    /// Looks up <paramref name="relativePath"/> (names joined by <c>/</c>, none of them empty, <c>.</c> or
    /// <c>..</c>; empty for the root itself) beneath the root. Never opens the entry for reading, so a FIFO or a
    /// device found there is not touched. The caller disposes the result.
    /// </summary>
    /// <exception cref="IOException">The lookup failed for a reason not the client's (EMFILE, EIO).</exception>
    FileLookup Find(string relativePath);

    /// <summary>
    /// The entries of the directory <paramref name="found"/> names, in no particular order: regular files and
    /// directories, links among them listed as what they lead to when that is beneath the root (others, and FIFOs,
    /// sockets and devices, are left out), an entry that cannot be stat'ed listed without size and time.
    /// </summary>
    /// <exception cref="UnauthorizedAccessException">The directory may not be read.</exception>
    /// <exception cref="IOException">It is gone, or another failure not the client's (EMFILE, EIO).</exception>
    IReadOnlyList<DirectoryEntry> List(in FileLookup found);

    /// <summary>Opens the regular file <paramref name="found"/> names for reading: the very file that was found.</summary>
    /// <exception cref="FileNotFoundException">It is gone (managed platform only: Linux opens what was found).</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    /// <exception cref="NotRegularFileException">It is not a regular file.</exception>
    /// <exception cref="IOException">No descriptor could be opened (EMFILE), or another failure not the client's.</exception>
    OpenedFile Open(in FileLookup found);

    /// <summary>
    /// Whether the name <paramref name="found"/> looked up leads, now, to the regular file of
    /// <paramref name="identity"/>. The open-file cache asks it while it holds that file open, so equal numbers
    /// then mean the same file: the lookup's own status may be of a file deleted since, whose inode number another
    /// file has taken.
    /// </summary>
    bool StillNames(in FileLookup found, FileIdentity identity);
}
