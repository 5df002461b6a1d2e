namespace FileServer.Platform;

/// <summary>One entry of a listed directory, as a listing shows it.</summary>
/// <param name="Name">The name, decoded from UTF-8 (an invalid byte shows as U+FFFD).</param>
/// <param name="RawName">The name's bytes when they are not valid UTF-8 (so a link can carry them), else null.</param>
/// <param name="Kind">Regular file or directory; a link inside the root is listed as what it leads to.</param>
/// <param name="Length">The size in bytes; -1 when the entry could not be stat'ed.</param>
/// <param name="ModifiedUnixNanoseconds">The modification time; 0 when the entry could not be stat'ed.</param>
/// <param name="IsLink">Whether the name is a symbolic link (listed as what it leads to).</param>
internal readonly record struct DirectoryEntry(string Name, byte[]? RawName, FileKind Kind, long Length, long ModifiedUnixNanoseconds, bool IsLink = false)
{
    /// <summary>Whether size and time are known.</summary>
    public bool HasStatus => Length >= 0;

    /// <summary>Whether it is a directory (links to directories included).</summary>
    public bool IsDirectory => Kind == FileKind.Directory;
}
