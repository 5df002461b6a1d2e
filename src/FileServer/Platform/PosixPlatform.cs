using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace FileServer.Platform;

/// <summary>
/// Linux (and other POSIX) implementation: Mono.Posix for <c>stat</c>/<c>fstat</c> (nanosecond mtimes, file
/// kinds) and <c>posix_fadvise</c>; libc directly for what Mono.Posix 1.0.0 lacks or gets awkward
/// (<c>realpath</c>, <c>getrlimit</c>/<c>setrlimit</c>).
/// </summary>
public sealed partial class PosixPlatform : IPlatform
{
    private const int IpProtoTcp = 6;
    private const int TcpCork = 3;
    private const int SolSocket = 1;
    private const int SoSndBuf = 7;
    private const int RlimitNoFile = 7;
    private const int TcpInfo = 11;
    private const int TcpCongestion = 13;
    private const int TcpCongestionNameMax = 15; // TCP_CA_NAME_MAX (16) less the NUL the kernel adds
    private const string DefaultCongestionControlPath = "/proc/sys/net/ipv4/tcp_congestion_control";
    private const int TcpInfoSize = 232;
    private const int TcpInfoBytesAckedOffset = 120;
    private const int SigInt = 2;
    private const nint SigDfl = 0; // SIG_DFL
    private const nint SigIgn = 1; // SIG_IGN
    private const nuint SiocOutQ = 0x5411; // SIOCOUTQ (= TIOCOUTQ on x86-64 and arm64): bytes in the send queue

    // The kernel's default read-ahead window (128 KiB) already covers a file this small: the sequential hint
    // would change nothing but cost a syscall on every small-file request.
    private const long SequentialAdviceMinimumLength = 128 * 1024;

    private readonly bool _hasProcFd = Directory.Exists("/proc/self/fd");
    private readonly Func<SafeFileHandle, FileStream> _openZeroCopyStream;

    private readonly bool _useOpenat2;

    /// <summary>Creates the platform; see <see cref="IsSupported"/> first.</summary>
    /// <param name="useOpenat2">
    /// Whether lookups beneath the root ask the kernel to confine them (<c>openat2</c>, where the kernel has it);
    /// false confines them with a walk of <c>openat</c> calls alone, e.g. to compare the two.
    /// </param>
    public PosixPlatform(bool useOpenat2 = true)
    {
        _useOpenat2 = useOpenat2;
        // One delegate for every file opened, not one per request.
        _openZeroCopyStream = OpenZeroCopyStream;
    }

    /// <inheritdoc />
    public string Name => "posix";

    /// <summary>Whether Mono.Posix's native helper loads here; false sends callers to <see cref="ManagedPlatform"/>.</summary>
    public static bool IsSupported()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        try
        {
            // /proc/self/fd: how a file found beneath the root is opened for reading (see PosixFileRoot).
            return Syscall.stat("/", out _) == 0 && Directory.Exists("/proc/self/fd");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public unsafe FileStatus? GetStatus(string path)
    {
        // Mono.Posix's string overloads marshal through a custom marshaler that allocates on every call
        // (RuntimeMethodInfoStub per call on CoreCLR): the same native entry points with a stack-encoded path do not.
        Stat stat;
        using var encoded = new NativePath(path, stackalloc byte[NativePath.StackBytes]);
        fixed (byte* p = encoded.Bytes)
        {
            return mph_stat(p, out stat) == 0 ? ToStatus(stat) : null;
        }
    }

    /// <inheritdoc />
    public IFileRoot OpenRoot(string realPath, bool followSymlinks) => new PosixFileRoot(realPath, followSymlinks, _useOpenat2);

    /// <inheritdoc />
    public FileStatus GetStatus(SafeFileHandle file)
    {
        if (Syscall.fstat(Descriptor(file), out var stat) != 0)
        {
            throw new IOException($"fstat failed: {Stdlib.GetLastError()}");
        }
        return ToStatus(stat);
    }

    /// <inheritdoc />
    public OpenedFile OpenForReading(string path)
    {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it has no effect on regular files.
        var fd = Open(path, OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK | OpenFlags.O_CLOEXEC);
        if (fd < 0)
        {
            var errno = Stdlib.GetLastError();
            throw errno switch
            {
                Errno.EACCES or Errno.EPERM => new UnauthorizedAccessException($"open {path}: {errno}"),
                Errno.ENOENT or Errno.ENOTDIR or Errno.ELOOP => new FileNotFoundException($"open {path}: {errno}", path),
                _ => new IOException($"open {path}: {errno}"),
            };
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var status = GetStatus(handle);
            if (status.Kind != FileKind.Regular)
            {
                throw new NotRegularFileException(path);
            }
            if (status.Length > SequentialAdviceMinimumLength)
            {
                AdviseSequential(handle);
            }
            return new OpenedFile(path, handle, status, _openZeroCopyStream);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    // .NET's zero-copy SendPacketsElement wants a stream it opened as asynchronous. Reopening the descriptor
    // through /proc yields that same inode, so nothing swapped in at the path since can be served instead.
    private FileStream OpenZeroCopyStream(SafeFileHandle opened)
    {
        var path = _hasProcFd ? $"/proc/self/fd/{(int)opened.DangerousGetHandle()}" : throw new PlatformNotSupportedException("no /proc/self/fd");
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
        try
        {
            AdviseSequential(handle);
            return new FileStream(handle, FileAccess.Read, bufferSize: 0, isAsync: true);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public string? ResolveRealPath(string path)
    {
        var resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            free(resolved);
        }
    }

    /// <inheritdoc />
    public void AdviseSequential(SafeFileHandle file) =>
        // Advice only: a failure changes read-ahead, never correctness, so the result is deliberately unused.
        _ = Syscall.posix_fadvise(Descriptor(file), 0, 0, PosixFadviseAdvice.POSIX_FADV_SEQUENTIAL);

    /// <inheritdoc />
    public void SetCork(Socket socket, bool corked)
    {
        Span<byte> value = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(value, corked ? 1 : 0);
        socket.SetRawSocketOption(IpProtoTcp, TcpCork, value);
    }

    /// <inheritdoc />
    public string? DefaultCongestionControl
    {
        get
        {
            try
            {
                var name = File.ReadAllText(DefaultCongestionControlPath).Trim();
                return name.Length > 0 ? name : null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
    }

    /// <inheritdoc />
    public bool TrySetCongestionControl(Socket socket, string name)
    {
        Span<byte> value = stackalloc byte[TcpCongestionNameMax];
        if (name.Length is 0 or > TcpCongestionNameMax || !Ascii.IsValid(name))
        {
            return false;
        }
        var length = Encoding.ASCII.GetBytes(name, value);
        try
        {
            socket.SetRawSocketOption(IpProtoTcp, TcpCongestion, value[..length]);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // ENOENT (not built), EPERM (not in net.ipv4.tcp_allowed_congestion_control) or a closed socket: the
            // connection keeps the congestion control it has, which is what false tells the caller.
            return false;
        }
    }

    /// <inheritdoc />
    public long? GetBytesAcknowledged(Socket socket)
    {
        // struct tcp_info (linux/tcp.h): tcpi_bytes_acked is the u64 at offset 120, present since Linux 4.1.
        Span<byte> info = stackalloc byte[TcpInfoSize];
        try
        {
            var length = socket.GetRawSocketOption(IpProtoTcp, TcpInfo, info);
            return length >= TcpInfoBytesAckedOffset + sizeof(long)
                ? BitConverter.ToInt64(info.Slice(TcpInfoBytesAckedOffset, sizeof(long)))
                : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public long? GetSendSpace(Socket socket)
    {
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            // Held so the descriptor cannot be closed and reused by another connection while we ask about it.
            handle.DangerousAddRef(ref added);
            if (ioctl((int)handle.DangerousGetHandle(), SiocOutQ, out var queued) != 0)
            {
                return null;
            }
            // Not Socket.SendBufferSize: its getter boxes the value, and this runs once per copy-path chunk.
            Span<byte> sendBuffer = stackalloc byte[sizeof(int)];
            if (socket.GetRawSocketOption(SolSocket, SoSndBuf, sendBuffer) != sizeof(int))
            {
                return null;
            }
            return Math.Max(0L, BitConverter.ToInt32(sendBuffer) / 2 - (long)queued);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <inheritdoc />
    public unsafe void RestoreInheritedInterrupt()
    {
        // Room for any platform's struct sigaction (152 bytes on Linux x86-64 and arm64); the handler comes first.
        var current = stackalloc byte[512];
        if (sigaction(SigInt, null, current) == 0 && *(nint*)current == SigIgn)
        {
            _ = signal(SigInt, SigDfl);
        }
    }

    /// <inheritdoc />
    public ulong? RaiseOpenFileLimit()
    {
        // Mono.Posix 1.0.0 has no getrlimit/setrlimit: see PLATFORM-NOTES.md.
        if (getrlimit(RlimitNoFile, out var limit) != 0)
        {
            return null;
        }
        if (limit.Current < limit.Maximum)
        {
            var raised = limit with { Current = limit.Maximum };
            if (setrlimit(RlimitNoFile, in raised) == 0)
            {
                return raised.Current;
            }
        }
        return limit.Current;
    }

    private static unsafe int Open(string path, OpenFlags flags)
    {
        var native = NativeConvert.FromOpenFlags(flags);
        using var encoded = new NativePath(path, stackalloc byte[NativePath.StackBytes]);
        fixed (byte* p = encoded.Bytes)
        {
            return libc_open(p, native);
        }
    }

    /// <summary>A NUL-terminated UTF-8 copy of a path, on the stack when it fits, else in a pooled array.</summary>
    private ref struct NativePath
    {
        public const int StackBytes = 512;
        private byte[]? _rented;

        public NativePath(string path, Span<byte> stack)
        {
            var max = System.Text.Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
            var buffer = max <= stack.Length ? stack : (_rented = System.Buffers.ArrayPool<byte>.Shared.Rent(max));
            var length = System.Text.Encoding.UTF8.GetBytes(path, buffer);
            buffer[length] = 0;
            Bytes = buffer[..(length + 1)];
        }

        public Span<byte> Bytes { get; }

        public void Dispose()
        {
            if (_rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(_rented);
            }
        }
    }

    // The entry points Mono.Posix's Syscall.stat/lstat/open call, declared with a byte* path (no custom marshaler).
    [DllImport("MonoPosixHelper", SetLastError = true, EntryPoint = "Mono_Posix_Syscall_stat")]
    private static extern unsafe int mph_stat(byte* path, out Stat buf);

    [DllImport("libc", SetLastError = true, EntryPoint = "open")]
    private static extern unsafe int libc_open(byte* path, int flags);

    private static int Descriptor(SafeFileHandle file) => (int)file.DangerousGetHandle();

    internal static FileStatus ToStatus(Stat stat)
    {
        var kind = (stat.st_mode & FilePermissions.S_IFMT) switch
        {
            FilePermissions.S_IFREG => FileKind.Regular,
            FilePermissions.S_IFDIR => FileKind.Directory,
            FilePermissions.S_IFLNK => FileKind.SymbolicLink,
            _ => FileKind.Other,
        };
        var modified = (stat.st_mtime * 1_000_000_000L) + stat.st_mtime_nsec;
        return new FileStatus(kind, stat.st_size, modified, new FileIdentity(stat.st_dev, stat.st_ino));
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct ResourceLimit(ulong Current, ulong Maximum);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc")]
    private static partial void free(IntPtr pointer);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrlimit(int resource, out ResourceLimit limit);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setrlimit(int resource, in ResourceLimit limit);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int sigaction(int signal, byte* action, byte* previous);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint signal(int signal, nint handler);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ioctl(int fd, nuint request, out int value);
}
