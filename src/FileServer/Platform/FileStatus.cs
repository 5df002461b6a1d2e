namespace FileServer.Platform;

/// <summary>What the server needs to know about a file: its kind, size, modification time and identity.</summary>
/// <param name="Kind">Regular file, directory, or something else (FIFO, device, socket).</param>
/// <param name="Length">Size in bytes.</param>
/// <param name="ModifiedUnixNanoseconds">Modification time, nanoseconds since the Unix epoch.</param>
/// <param name="Identity">Which file this is (device and inode); <see cref="FileIdentity.Unknown"/> where the platform cannot tell.</param>
internal readonly record struct FileStatus(FileKind Kind, long Length, long ModifiedUnixNanoseconds, FileIdentity Identity = default)
{
    /// <summary>Modification time as a <see cref="DateTimeOffset"/> (100 ns precision).</summary>
    public DateTimeOffset Modified => DateTimeOffset.UnixEpoch.AddTicks(ModifiedUnixNanoseconds / 100);
}

/// <summary>The kinds of file system entry the server tells apart.</summary>
internal enum FileKind
{
    /// <summary>A regular file: the only kind whose bytes are served.</summary>
    Regular,
    /// <summary>A directory.</summary>
    Directory,
    /// <summary>A FIFO, device, socket or anything else that must never be opened for serving.</summary>
    Other,
    /// <summary>A symbolic link, as <c>lstat</c> sees it (never returned by the following calls).</summary>
    SymbolicLink,
}

/// <summary>
/// A file's identity on POSIX systems: its device and inode numbers. Two paths with equal identities name the same
/// file; while a descriptor of the file is open, its inode number cannot be reused for another file.
/// </summary>
/// <param name="Device">The device the file lives on (<c>st_dev</c>).</param>
/// <param name="Inode">The file's inode number on that device (<c>st_ino</c>).</param>
internal readonly record struct FileIdentity(ulong Device, ulong Inode)
{
    /// <summary>The identity of a platform that cannot tell files apart (both numbers zero).</summary>
    public static FileIdentity Unknown => default;

    /// <summary>Whether this identity came from the file system (inode numbers start at 1).</summary>
    public bool IsKnown => Inode != 0;
}
