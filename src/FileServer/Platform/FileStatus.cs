namespace FileServer.Platform;

/// <summary>What the server needs to know about a file: its kind, size and modification time.</summary>
/// <param name="Kind">Regular file, directory, or something else (FIFO, device, socket).</param>
/// <param name="Length">Size in bytes.</param>
/// <param name="ModifiedUnixNanoseconds">Modification time, nanoseconds since the Unix epoch.</param>
public readonly record struct FileStatus(FileKind Kind, long Length, long ModifiedUnixNanoseconds)
{
    /// <summary>Modification time as a <see cref="DateTimeOffset"/> (100 ns precision).</summary>
    public DateTimeOffset Modified => DateTimeOffset.UnixEpoch.AddTicks(ModifiedUnixNanoseconds / 100);
}

/// <summary>The kinds of file system entry the server tells apart.</summary>
public enum FileKind
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
