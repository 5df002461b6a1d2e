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


    private readonly bool _useOpenat2;

    /// <summary>Creates the platform; see <see cref="IsSupported"/> first.</summary>
    /// <param name="useOpenat2">
    /// Whether lookups beneath the root ask the kernel to confine them (<c>openat2</c>, where the kernel has it);
    /// false confines them with a walk of <c>openat</c> calls alone, e.g. to compare the two.
    /// </param>
    public PosixPlatform(bool useOpenat2 = true)
    {
        _useOpenat2 = useOpenat2;
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
    public FileStatus? GetStatus(string path) =>
        LinuxFileCalls.TryStatAt(LinuxFileCalls.CurrentDirectory, path, 0, out var status) ? status : null;

    /// <inheritdoc />
    public IFileRoot OpenRoot(string realPath, bool followSymlinks) => new PosixFileRoot(realPath, followSymlinks, _useOpenat2);

    /// <inheritdoc />
    public FileStatus GetStatus(SafeFileHandle file) =>
        LinuxFileCalls.TryStat((int)file.DangerousGetHandle(), out var status)
            ? status
            : throw new IOException($"statx failed: {LinuxFileCalls.LastError}");

    /// <inheritdoc />
    public OpenedFile OpenForReading(string path)
    {
        // O_PATH: a FIFO or device is named, never opened, so nothing waits for a writer.
        var entry = LinuxFileCalls.OpenAt(LinuxFileCalls.CurrentDirectory, path, LinuxFileCalls.OPath | LinuxFileCalls.Native(OpenFlags.O_CLOEXEC));
        if (entry < 0)
        {
            var errno = LinuxFileCalls.LastError;
            throw errno switch
            {
                Errno.EACCES or Errno.EPERM => new UnauthorizedAccessException($"open {path}: {errno}"),
                Errno.ENOENT or Errno.ENOTDIR or Errno.ELOOP => new FileNotFoundException($"open {path}: {errno}", path),
                _ => new IOException($"open {path}: {errno}"),
            };
        }
        try
        {
            return LinuxFileCalls.TryStat(entry, out var status)
                ? PosixFileRoot.Reopen(path, entry, status)
                : throw new IOException($"statx {path}: {LinuxFileCalls.LastError}");
        }
        finally
        {
            LinuxFileCalls.Close(entry);
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
    public int? CountOpenDescriptors() => Directory.EnumerateFileSystemEntries("/proc/self/fd").Count();

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

    private static int Descriptor(SafeFileHandle file) => (int)file.DangerousGetHandle();

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
