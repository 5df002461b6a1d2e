using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace FileServer.Platform;

/// <summary>
/// The Linux root: a descriptor of the served directory, held open, and every lookup made relative to it. The
/// kernel confines the lookup (<c>openat2</c> with <c>RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS</c>, Linux ≥ 5.6);
/// a link it refuses as leaving the root (absolute targets always are) and kernels without <c>openat2</c> go
/// through <see cref="BeneathRootWalk"/>. What was found is opened again through <c>/proc/self/fd</c>, which
/// gives that same inode, never whatever its name leads to by then.
/// </summary>
internal sealed class PosixFileRoot : IFileRoot
{
    // The kernel's default read-ahead window (128 KiB) already covers a smaller file: the hint would only cost a call.
    private const long SequentialAdviceMinimumLength = 128 * 1024;

    private readonly SafeFileHandle _root;
    private readonly BeneathRootWalk _walk;
    private readonly bool _followSymlinks;
    private readonly int _pathFlags = LinuxFileCalls.OPath | LinuxFileCalls.Native(OpenFlags.O_CLOEXEC);
    private volatile bool _kernelConfines;

    /// <summary>Opens the directory at <paramref name="realPath"/> (already resolved) as the root.</summary>
    /// <param name="realPath">The root's real path.</param>
    /// <param name="followSymlinks">Whether links may lead out of the root (plain <c>openat</c>, no confinement).</param>
    /// <param name="useOpenat2">False forces the walk, to measure it or where <c>openat2</c> misbehaves.</param>
    /// <exception cref="IOException">The directory cannot be opened.</exception>
    public PosixFileRoot(string realPath, bool followSymlinks, bool useOpenat2)
    {
        RealPath = realPath;
        _followSymlinks = followSymlinks;
        _kernelConfines = useOpenat2;
        var fd = Syscall.open(realPath, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"open {realPath}: {Stdlib.GetLastError()}");
        }
        _root = LinuxFileCalls.Own(fd);
        _walk = new BeneathRootWalk(_root, realPath);
    }

    /// <inheritdoc />
    public string RealPath { get; }

    /// <inheritdoc />
    public string Confinement => _followSymlinks ? "none (links followed anywhere)" : _kernelConfines ? "openat2" : "openat walk";

    /// <summary>Whether lookups are confined by the kernel (<c>openat2</c>) rather than by the walk alone.</summary>
    public bool KernelConfines => _kernelConfines;

    /// <inheritdoc />
    public FileLookup Find(string relativePath)
    {
        var displayPath = relativePath.Length == 0 ? RealPath : string.Concat(RealPath, "/", relativePath);
        var lookupPath = relativePath.Length == 0 ? "." : relativePath;
        var handle = Open(lookupPath, out var error);
        if (handle is null)
        {
            return error switch
            {
                Errno.EACCES => new FileLookup(LookupOutcome.Denied, displayPath),
                Errno.ENOENT or Errno.ENOTDIR or Errno.ELOOP or Errno.EXDEV or Errno.ENAMETOOLONG => FileLookup.Missing(displayPath),
                _ => throw new IOException($"lookup of {displayPath} failed: {error}", NativeConvert.FromErrno(error)),
            };
        }
        if (!LinuxFileCalls.TryGetStatus(handle, out var stat))
        {
            var failed = LinuxFileCalls.LastError;
            handle.Dispose();
            throw new IOException($"fstat {displayPath}: {failed}", NativeConvert.FromErrno(failed));
        }
        return new FileLookup(LookupOutcome.Found, displayPath, PosixPlatform.ToStatus(stat), handle);
    }

    private SafeFileHandle? Open(string path, out Errno error)
    {
        error = 0;
        if (_followSymlinks)
        {
            var plain = LinuxFileCalls.OpenAt(_root, path, _pathFlags);
            error = plain < 0 ? LinuxFileCalls.LastError : 0;
            return plain < 0 ? null : LinuxFileCalls.Own(plain);
        }
        if (_kernelConfines)
        {
            var fd = LinuxFileCalls.OpenAt2(_root, path, _pathFlags, LinuxFileCalls.ResolveBeneath | LinuxFileCalls.ResolveNoMagicLinks);
            if (fd >= 0)
            {
                return LinuxFileCalls.Own(fd);
            }
            error = LinuxFileCalls.LastError;
            switch (error)
            {
                case Errno.ENOSYS or Errno.EPERM or Errno.E2BIG or Errno.EINVAL:
                    // No openat2 here (older kernel, or a seccomp filter that refuses it): the walk from now on.
                    _kernelConfines = false;
                    break;
                case Errno.EXDEV or Errno.EAGAIN:
                    // A link the kernel will not follow beneath the root (absolute, or climbing out), or a rename
                    // raced a ".." lookup: the walk decides, one name at a time.
                    break;
                default:
                    return null;
            }
        }
        return _walk.Find(path, out error);
    }

    /// <inheritdoc />
    public OpenedFile Open(in FileLookup found)
    {
        if (found.Outcome != LookupOutcome.Found || found.Status.Kind != FileKind.Regular || found.Handle is null)
        {
            throw new NotRegularFileException(found.Path);
        }
        // Asynchronous, so that the same descriptor serves positional reads and .NET's zero-copy send
        // (SendPacketsElement wants a FileStream opened for asynchronous use): one descriptor per file, not two.
        var reopened = $"/proc/self/fd/{(int)found.Handle.DangerousGetHandle()}";
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(reopened, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
        }
        catch (FileNotFoundException e)
        {
            throw new IOException($"reopening {found.Path} through /proc failed: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"open {found.Path}: {e.Message}", e);
        }
        if (found.Status.Length > SequentialAdviceMinimumLength)
        {
            // Advice only: a failure changes read-ahead, never correctness.
            _ = Syscall.posix_fadvise((int)handle.DangerousGetHandle(), 0, 0, PosixFadviseAdvice.POSIX_FADV_SEQUENTIAL);
        }
        return new OpenedFile(found.Path, handle, found.Status, static h => new FileStream(h, FileAccess.Read, bufferSize: 0, isAsync: true));
    }

    /// <inheritdoc />
    public void Dispose() => _root.Dispose();
}
