using Microsoft.Win32.SafeHandles;

namespace FileServer.Platform;

/// <summary>
/// A file opened for serving: its handle for positional reads, its status as of opening, and — only when a
/// body goes zero-copy — a stream on the same file that .NET's send-file path accepts. Disposing closes all.
/// </summary>
internal sealed class OpenedFile : IDisposable
{
    private readonly Func<SafeFileHandle, FileStream> _openZeroCopyStream;
    private readonly Lock _opening = new();
    private FileStream? _zeroCopyStream;

    /// <summary>
    /// Wraps an open <paramref name="handle"/> of the file at <paramref name="path"/>; <paramref name="openZeroCopyStream"/>
    /// makes the send-file stream on demand (a stream on that same handle, or on another descriptor of the file), and may throw where the platform or the file cannot give one.
    /// </summary>
    public OpenedFile(string path, SafeFileHandle handle, FileStatus status, Func<SafeFileHandle, FileStream> openZeroCopyStream)
    {
        Path = path;
        Handle = handle;
        Status = status;
        _openZeroCopyStream = openZeroCopyStream;
    }

    /// <summary>The path the file was opened at, for logs.</summary>
    public string Path { get; }

    /// <summary>The handle for <see cref="RandomAccess"/> reads.</summary>
    public SafeFileHandle Handle { get; }

    /// <summary>Kind, size and modification time of the opened file.</summary>
    public FileStatus Status { get; }

    /// <summary>
    /// A stream on the same file for <c>SendFileAsync</c>, opened the first time it is asked for: small bodies
    /// that are copied never pay for it. Safe to ask for from several responses at once (a cached file is shared);
    /// sends give their own offsets, so they never move the stream's position.
    /// </summary>
    /// <exception cref="IOException">No second descriptor could be opened (e.g. EMFILE).</exception>
    /// <exception cref="PlatformNotSupportedException">The platform has no way to give one (no <c>/proc/self/fd</c>).</exception>
    public FileStream ZeroCopyStream
    {
        get
        {
            var stream = Volatile.Read(ref _zeroCopyStream);
            if (stream is not null)
            {
                return stream;
            }
            // Under a lock, not a race of two opens: the stream may be made on this very handle, and a losing
            // stream's disposal would close it for the winner too.
            lock (_opening)
            {
                stream = _zeroCopyStream ?? _openZeroCopyStream(Handle);
                Volatile.Write(ref _zeroCopyStream, stream);
                return stream;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _zeroCopyStream?.Dispose();
        Handle.Dispose();
    }
}
