using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace FileServer.Platform;

/// <summary>
/// The Linux platform: files beneath the root through <see cref="PosixFileRoot"/>, socket options through
/// <see cref="LinuxSocketOptions"/>, the process's own limits through <see cref="LinuxProcess"/>; every direct libc
/// call is declared once, in <see cref="LibC"/>.
/// </summary>
internal sealed class PosixPlatform : IPlatform
{
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
        var resolved = LibC.realpath(path, IntPtr.Zero);
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
            LibC.free(resolved);
        }
    }

    /// <inheritdoc />
    public void SetCork(Socket socket, bool corked) => LinuxSocketOptions.SetCork(socket, corked);

    /// <inheritdoc />
    public void DeferAccept(Socket listener, TimeSpan wait) => LinuxSocketOptions.DeferAccept(listener, wait);

    /// <inheritdoc />
    public Socket? ShareListener(Socket listener) => LinuxSocketOptions.ShareListener(listener);

    /// <inheritdoc />
    public int ReceiveNow(Socket socket, Span<byte> buffer) => ImmediateSocketCalls.Receive(socket, buffer);

    /// <inheritdoc />
    public int SendNow(Socket socket, ReadOnlySpan<byte> bytes, bool holdTail = false) => ImmediateSocketCalls.Send(socket, bytes, holdTail);

    /// <inheritdoc />
    public string? DefaultCongestionControl => LinuxSocketOptions.DefaultCongestionControl();

    /// <inheritdoc />
    public bool TrySetCongestionControl(Socket socket, string name) => LinuxSocketOptions.TrySetCongestionControl(socket, name);

    /// <inheritdoc />
    public long? GetBytesAcknowledged(Socket socket) => LinuxSocketOptions.GetBytesAcknowledged(socket);

    /// <inheritdoc />
    public long? GetSendSpace(Socket socket) => LinuxSocketOptions.GetSendSpace(socket);

    /// <inheritdoc />
    public void RestoreInheritedInterrupt() => LinuxProcess.RestoreInheritedInterrupt();

    /// <inheritdoc />
    public int? CountOpenDescriptors() => LinuxProcess.CountOpenDescriptors();

    /// <inheritdoc />
    public ulong? RaiseOpenFileLimit() => LinuxProcess.RaiseOpenFileLimit();

    /// <inheritdoc />
    public bool IsCached(SafeFileHandle file, long offset, long length) => PageCacheCalls.IsCached(file, offset, length);

    /// <inheritdoc />
    public int ReadIfCached(SafeFileHandle file, Span<byte> buffer, long offset) => PageCacheCalls.ReadIfCached(file, buffer, offset);

    /// <inheritdoc />
    public void Prefetch(SafeFileHandle file, long offset, long length) => PageCacheCalls.Prefetch(file, offset, length);

    /// <inheritdoc />
    public bool TryReadIntoCache(SafeFileHandle file, long offset, long length) => PageCacheCalls.TryReadIntoCache(file, offset, length);

    /// <inheritdoc />
    public void TrimNativeHeap() => LinuxProcess.TrimNativeHeap();
}
