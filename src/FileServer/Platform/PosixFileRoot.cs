using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace FileServer.Platform;

/// <summary>
/// The Linux root: a descriptor of the served directory, held open, and every lookup made relative to it. The
/// directories on the way are looked up in the kernel, which keeps them beneath the root (<c>openat2</c> with
/// <c>RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS</c>, Linux ≥ 5.6); the last name is checked with <c>statx</c>
/// inside the directory found, without following a link. A link at the end goes through the kernel's confined
/// lookup too; links it refuses as leaving the root (absolute targets always are) and kernels without
/// <c>openat2</c> go through <see cref="BeneathRootWalk"/>. What was found is opened by its name in the directory
/// found with <c>O_NOFOLLOW</c>, or through <c>/proc/self/fd</c> from its own descriptor, never by a path from
/// <c>/</c>.
/// </summary>
internal sealed class PosixFileRoot : IFileRoot
{
    // The kernel's default read-ahead window (128 KiB) already covers a smaller file: the hint would only cost a call.
    private const long SequentialAdviceMinimumLength = 128 * 1024;

    private readonly SafeFileHandle _rootHandle;
    private readonly int _root;
    private readonly BeneathRootWalk _walk;
    private readonly bool _followSymlinks;
    private readonly int _pathFlags = LinuxFileCalls.OPath | LinuxFileCalls.Native(OpenFlags.O_CLOEXEC);
    private readonly int _directoryFlags = LinuxFileCalls.OPath | LinuxFileCalls.Native(OpenFlags.O_CLOEXEC | OpenFlags.O_DIRECTORY);
    private readonly int _entryFlags = LinuxFileCalls.OPath | LinuxFileCalls.Native(OpenFlags.O_CLOEXEC | OpenFlags.O_NOFOLLOW);
    private volatile bool _kernelConfines;

    /// <summary>Opens the directory at <paramref name="realPath"/> (already resolved) as the root.</summary>
    /// <param name="realPath">The root's real path.</param>
    /// <param name="followSymlinks">Whether links may lead out of the root (plain <c>openat</c>, no confinement).</param>
    /// <param name="useOpenat2">False confines with the walk alone, to measure it or where <c>openat2</c> misbehaves.</param>
    /// <exception cref="IOException">The directory cannot be opened.</exception>
    public PosixFileRoot(string realPath, bool followSymlinks, bool useOpenat2)
    {
        RealPath = realPath;
        _followSymlinks = followSymlinks;
        _kernelConfines = useOpenat2;
        _root = LinuxFileCalls.OpenAt(LinuxFileCalls.CurrentDirectory, realPath, _directoryFlags);
        if (_root < 0)
        {
            throw new IOException($"open {realPath}: {LinuxFileCalls.LastError}");
        }
        // Owned by a SafeHandle so that it is closed even if Dispose is never called; used as the plain number.
        _rootHandle = new SafeFileHandle(_root, ownsHandle: true);
        _walk = new BeneathRootWalk(_root, realPath);
        if (_kernelConfines && !followSymlinks)
        {
            // Asked once now, so the start-up line names the confinement that will really run.
            var self = LinuxFileCalls.OpenAt2(_root, ".", _directoryFlags, LinuxFileCalls.ResolveBeneath | LinuxFileCalls.ResolveNoMagicLinks);
            if (self >= 0)
            {
                LinuxFileCalls.Close(self);
            }
            else if (LinuxFileCalls.LastError is Errno.ENOSYS or Errno.EPERM or Errno.E2BIG)
            {
                _kernelConfines = false;
            }
        }
    }

    /// <inheritdoc />
    public string RealPath { get; }

    /// <inheritdoc />
    public string Confinement => _followSymlinks ? "none (links followed anywhere)" : _kernelConfines ? "openat2" : "openat walk";

    /// <summary>Whether directories are looked up with the kernel's confinement (<c>openat2</c>) rather than the walk alone.</summary>
    public bool KernelConfines => _kernelConfines;

    /// <inheritdoc />
    public FileLookup Find(string relativePath)
    {
        if (relativePath.Length == 0)
        {
            return LinuxFileCalls.TryStat(_root, out var self)
                ? new FileLookup(LookupOutcome.Found, RealPath, relativePath, self)
                : Failed(relativePath, LinuxFileCalls.LastError);
        }
        var slash = relativePath.LastIndexOf('/');
        var directory = -1;
        if (slash > 0)
        {
            directory = OpenBeneath(relativePath.AsSpan(0, slash), directory: true, out var directoryError);
            if (directory < 0)
            {
                return Failed(relativePath, directoryError);
            }
        }
        if (!LinuxFileCalls.TryStatAt(directory < 0 ? _root : directory, relativePath.AsSpan(slash + 1), LinuxFileCalls.AtSymlinkNoFollow, out var status))
        {
            var error = LinuxFileCalls.LastError;
            LinuxFileCalls.Close(directory);
            return Failed(relativePath, error);
        }
        if (status.Kind != FileKind.SymbolicLink)
        {
            return new FileLookup(LookupOutcome.Found, RealPath, relativePath, status, directory);
        }
        // A link at the end: the whole path through the confined lookup, which follows it as far as it may go.
        LinuxFileCalls.Close(directory);
        var entry = OpenBeneath(relativePath, directory: false, out var entryError);
        if (entry < 0)
        {
            return Failed(relativePath, entryError);
        }
        if (!LinuxFileCalls.TryStat(entry, out status))
        {
            var error = LinuxFileCalls.LastError;
            LinuxFileCalls.Close(entry);
            return Failed(relativePath, error);
        }
        return new FileLookup(LookupOutcome.Found, RealPath, relativePath, status, entry: entry);
    }

    // An O_PATH descriptor of what path leads to beneath the root (links followed while they stay inside), or -1.
    private int OpenBeneath(ReadOnlySpan<char> path, bool directory, out Errno error)
    {
        var flags = directory ? _directoryFlags : _pathFlags;
        error = 0;
        if (_followSymlinks)
        {
            var plain = LinuxFileCalls.OpenAt(_root, path, flags);
            error = plain < 0 ? LinuxFileCalls.LastError : 0;
            return plain;
        }
        if (_kernelConfines)
        {
            var fd = LinuxFileCalls.OpenAt2(_root, path, flags, LinuxFileCalls.ResolveBeneath | LinuxFileCalls.ResolveNoMagicLinks);
            if (fd >= 0)
            {
                return fd;
            }
            error = LinuxFileCalls.LastError;
            switch (error)
            {
                case Errno.ENOSYS or Errno.EPERM or Errno.E2BIG:
                    // No openat2 here (an older kernel, or a seccomp filter that refuses it): the walk from now on.
                    _kernelConfines = false;
                    break;
                case Errno.EXDEV or Errno.EAGAIN:
                    // A link the kernel will not follow beneath the root (absolute, or climbing out), or a rename
                    // raced a ".." lookup: the walk decides, one name at a time.
                    break;
                default:
                    return -1;
            }
        }
        var found = _walk.Find(path.ToString(), out error);
        if (found >= 0 && directory && !IsDirectory(found))
        {
            LinuxFileCalls.Close(found);
            error = Errno.ENOTDIR;
            return -1;
        }
        return found;
    }

    private static bool IsDirectory(int descriptor) => LinuxFileCalls.TryStat(descriptor, out var status) && status.Kind == FileKind.Directory;

    private FileLookup Failed(string relativePath, Errno error) => error switch
    {
        Errno.EACCES => new FileLookup(LookupOutcome.Denied, RealPath, relativePath),
        Errno.ENOENT or Errno.ENOTDIR or Errno.ELOOP or Errno.EXDEV or Errno.ENAMETOOLONG => new FileLookup(LookupOutcome.Missing, RealPath, relativePath),
        _ => throw new IOException($"lookup of {RealPath}/{relativePath} failed: {error}", NativeConvert.FromErrno(error)),
    };

    /// <inheritdoc />
    public IReadOnlyList<DirectoryEntry> List(in FileLookup found)
    {
        if (found.Outcome != LookupOutcome.Found || found.Status.Kind != FileKind.Directory)
        {
            throw new IOException($"{found.Path} is not a directory", NativeConvert.FromErrno(Errno.ENOTDIR));
        }
        var flags = LinuxFileCalls.Native(OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW);
        // What was found, opened for reading: the root, the entry links led to, or the last name in its directory.
        var directory = found.RelativePath.Length == 0 ? LinuxFileCalls.OpenAt(_root, ".", flags)
            : found.Entry >= 0 ? LinuxFileCalls.OpenAt(found.Entry, ".", flags)
            : LinuxFileCalls.OpenAt(found.Directory < 0 ? _root : found.Directory, found.RelativePath.AsSpan(found.RelativePath.LastIndexOf('/') + 1), flags);
        if (directory < 0)
        {
            throw PosixDirectoryReader.Failure(LinuxFileCalls.LastError);
        }
        var prefix = found.RelativePath.Length == 0 ? "" : found.RelativePath + "/";
        return PosixDirectoryReader.Read(directory, name =>
        {
            using var target = Find(prefix + name);
            return target.Outcome == LookupOutcome.Found ? target.Status : null;
        });
    }

    /// <inheritdoc />
    public OpenedFile Open(in FileLookup found)
    {
        if (found.Outcome != LookupOutcome.Found || found.Status.Kind != FileKind.Regular)
        {
            throw new NotRegularFileException(found.Path);
        }
        var entry = found.Entry;
        var status = found.Status;
        if (entry < 0)
        {
            // The last name again, in the directory found and without following a link: if it was swapped since, what
            // is there now is still beneath the root, and is served only if it is still a regular file.
            var name = found.RelativePath.AsSpan(found.RelativePath.LastIndexOf('/') + 1);
            entry = LinuxFileCalls.OpenAt(found.Directory < 0 ? _root : found.Directory, name, _entryFlags);
            if (entry < 0 || !LinuxFileCalls.TryStat(entry, out status))
            {
                var error = LinuxFileCalls.LastError;
                LinuxFileCalls.Close(entry);
                throw error switch
                {
                    Errno.EACCES => new UnauthorizedAccessException($"open {found.Path}: {error}"),
                    Errno.ENOENT => new FileNotFoundException($"open {found.Path}: {error}", found.Path),
                    _ => new IOException($"open {found.Path}: {error}", NativeConvert.FromErrno(error)),
                };
            }
        }
        try
        {
            return Reopen(found.Path, entry, status);
        }
        finally
        {
            if (entry != found.Entry)
            {
                LinuxFileCalls.Close(entry);
            }
        }
    }

    /// <inheritdoc />
    public bool StillNames(in FileLookup found, FileIdentity identity)
    {
        if (found.Entry >= 0)
        {
            // The lookup holds the entry itself: its inode cannot have been freed and its number reused.
            return found.Status.Identity == identity;
        }
        var name = found.RelativePath.AsSpan(found.RelativePath.LastIndexOf('/') + 1);
        return LinuxFileCalls.TryStatAt(found.Directory < 0 ? _root : found.Directory, name, LinuxFileCalls.AtSymlinkNoFollow, out var now)
            && now.Kind == FileKind.Regular && now.Identity == identity;
    }

    // Asynchronous, so that one descriptor serves positional reads and .NET's zero-copy send (SendPacketsElement
    // wants a FileStream opened for asynchronous use): one descriptor per file, not two.
    internal static OpenedFile Reopen(string path, int entry, FileStatus status)
    {
        if (status.Kind != FileKind.Regular)
        {
            throw new NotRegularFileException(path);
        }
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle($"/proc/self/fd/{entry}", FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
        }
        catch (FileNotFoundException e)
        {
            throw new IOException($"reopening {path} through /proc failed: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"open {path}: {e.Message}", e);
        }
        if (status.Length > SequentialAdviceMinimumLength)
        {
            // Advice only: a failure changes read-ahead, never correctness.
            _ = Syscall.posix_fadvise((int)handle.DangerousGetHandle(), 0, 0, PosixFadviseAdvice.POSIX_FADV_SEQUENTIAL);
        }
        return new OpenedFile(path, handle, status, static h => new FileStream(h, FileAccess.Read, bufferSize: 0, isAsync: true));
    }

    /// <inheritdoc />
    public void Dispose() => _rootHandle.Dispose();
}
