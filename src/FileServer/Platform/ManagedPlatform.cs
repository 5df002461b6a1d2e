using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace FileServer.Platform;

/// <summary>
/// Portable implementation on plain .NET APIs, for systems where Mono.Posix's native helper is missing.
/// Modification times are as precise as the OS reports through <see cref="File.GetLastWriteTimeUtc(SafeFileHandle)"/>.
/// </summary>
internal sealed class ManagedPlatform : IPlatform
{
    /// <inheritdoc />
    public string Name => "managed";

    /// <inheritdoc />
    public FileStatus? GetStatus(string path)
    {
        var info = new FileInfo(path);
        if (info.Exists)
        {
            var target = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
            return new FileStatus(FileKind.Regular, target.Length, ToNanoseconds(target.LastWriteTimeUtc));
        }
        var directory = new DirectoryInfo(path);
        return directory.Exists ? new FileStatus(FileKind.Directory, 0, ToNanoseconds(directory.LastWriteTimeUtc)) : null;
    }

    /// <inheritdoc />
    public IFileRoot OpenRoot(string realPath, bool followSymlinks) => new ManagedFileRoot(this, realPath, followSymlinks);

    /// <summary>Status of the entry at <paramref name="path"/> itself: a link is reported as <see cref="FileKind.SymbolicLink"/>.</summary>
    public FileStatus? GetLinkStatus(string path)
    {
        FileSystemInfo info = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
        return info.LinkTarget is not null ? new FileStatus(FileKind.SymbolicLink, 0, 0) : GetStatus(path);
    }

    /// <summary>Whether looking up <paramref name="path"/> fails for lack of permission, rather than for nothing being there.</summary>
    public static bool IsLookupDenied(string path)
    {
        try
        {
            _ = File.GetAttributes(path);
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
        catch (Exception e) when (e is IOException or ArgumentException or NotSupportedException)
        {
            return false; // missing, or not a valid path: not a matter of permission
        }
    }

    /// <inheritdoc />
    public OpenedFile OpenForReading(string path)
    {
        if (GetStatus(path) is { Kind: not FileKind.Regular })
        {
            throw new NotRegularFileException(path);
        }
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0,
            Options = FileOptions.Asynchronous,
        });
        return new OpenedFile(path, stream.SafeFileHandle, GetStatus(stream.SafeFileHandle), _ => stream);
    }

    /// <inheritdoc />
    public FileStatus GetStatus(SafeFileHandle file) =>
        new(FileKind.Regular, RandomAccess.GetLength(file), ToNanoseconds(File.GetLastWriteTimeUtc(file)));

    /// <inheritdoc />
    public string? ResolveRealPath(string path)
    {
        var full = Path.GetFullPath(path);
        if (!Path.Exists(full))
        {
            return null;
        }
        // Resolve each component from the root down, so a link in the middle of the path counts too.
        var root = Path.GetPathRoot(full) ?? string.Empty;
        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
            {
                current = Path.GetFullPath(target.FullName);
            }
        }
        return current;
    }

    /// <inheritdoc />
    public void SetCork(Socket socket, bool corked)
    {
        // No portable equivalent; TCP_NODELAY alone still avoids a Nagle stall.
    }

    /// <inheritdoc />
    public void DeferAccept(Socket listener, TimeSpan wait)
    {
        // No portable equivalent: connections are accepted as soon as the handshake completes.
    }

    /// <inheritdoc />
    // No portable way to duplicate a socket's descriptor: one listening socket per address.
    public Socket? ShareListener(Socket listener) => null;

    /// <inheritdoc />
    public int ReceiveNow(Socket socket, Span<byte> buffer) => -1;

    /// <inheritdoc />
    public int SendNow(Socket socket, ReadOnlySpan<byte> bytes, bool holdTail = false) => -1;

    /// <inheritdoc />
    public string? DefaultCongestionControl => null;

    /// <inheritdoc />
    public bool TrySetCongestionControl(Socket socket, string name) => false;

    /// <inheritdoc />
    public long? GetBytesAcknowledged(Socket socket) => null;

    /// <inheritdoc />
    public long? GetSendSpace(Socket socket) => null;

    /// <inheritdoc />
    public void RestoreInheritedInterrupt()
    {
        // The portable platform makes no native calls: a SIGINT inherited ignored stays ignored here.
    }

    /// <inheritdoc />
    public ulong? RaiseOpenFileLimit() => null;

    /// <inheritdoc />
    public bool IsCached(SafeFileHandle file, long offset, long length) => true;

    /// <inheritdoc />
    public int ReadIfCached(SafeFileHandle file, Span<byte> buffer, long offset) => RandomAccess.Read(file, buffer, offset);

    /// <inheritdoc />
    public void Prefetch(SafeFileHandle file, long offset, long length)
    {
        // No portable equivalent: the read that follows brings the bytes in.
    }

    /// <inheritdoc />
    public bool TryReadIntoCache(SafeFileHandle file, long offset, long length) => false;

    /// <inheritdoc />
    public void TrimNativeHeap()
    {
        // Not glibc (or not known to be): nothing to ask.
    }

    /// <inheritdoc />
    public int? CountOpenDescriptors() => null;

    private static long ToNanoseconds(DateTime utc) => (utc - DateTime.UnixEpoch).Ticks * 100;
}
