using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace FileServer.Platform;

/// <summary>
/// The descriptor-relative calls a lookup beneath the root needs (<c>openat</c>, <c>openat2</c>,
/// <c>readlinkat</c>, <c>fstat</c>), with paths encoded on the stack. Mono.Posix 1.0.0 lacks <c>openat2</c> and
/// <c>O_PATH</c>, and marshals string paths through an allocating custom marshaler.
/// </summary>
internal static unsafe partial class LinuxFileCalls
{
    /// <summary>O_PATH: names the entry without opening it for reading (no side effect on a FIFO or device).</summary>
    public const int OPath = 0x200000;

    /// <summary>RESOLVE_NO_MAGICLINKS: no <c>/proc/PID/fd</c>-style link is followed.</summary>
    public const ulong ResolveNoMagicLinks = 0x02;

    /// <summary>RESOLVE_BENEATH: the lookup fails with EXDEV rather than leave the directory it starts from.</summary>
    public const ulong ResolveBeneath = 0x08;

    private const long SysOpenat2 = 437; // the same number on every Linux architecture (added in 5.6)
    private const int PathMax = 4096;

    /// <summary>The native value of <c>O_CLOEXEC | O_NOFOLLOW</c> and friends, which differ between architectures.</summary>
    public static int Native(OpenFlags flags) => NativeConvert.FromOpenFlags(flags);

    /// <summary><c>openat(2)</c>: a descriptor, or -1 with errno set.</summary>
    public static int OpenAt(SafeHandle directory, ReadOnlySpan<char> name, int flags)
    {
        Span<byte> encoded = stackalloc byte[Encoded(name)];
        Encode(name, encoded);
        var added = false;
        try
        {
            directory.DangerousAddRef(ref added);
            fixed (byte* p = encoded)
            {
                return openat((int)directory.DangerousGetHandle(), p, flags);
            }
        }
        finally
        {
            if (added)
            {
                directory.DangerousRelease();
            }
        }
    }

    /// <summary><c>openat2(2)</c> with <paramref name="resolve"/> flags: a descriptor, or -1 with errno set (ENOSYS where the kernel lacks it).</summary>
    public static int OpenAt2(SafeHandle directory, ReadOnlySpan<char> path, int flags, ulong resolve)
    {
        Span<byte> encoded = stackalloc byte[Encoded(path)];
        Encode(path, encoded);
        var how = new OpenHow((ulong)(uint)flags, 0, resolve);
        var added = false;
        try
        {
            directory.DangerousAddRef(ref added);
            fixed (byte* p = encoded)
            {
                return (int)syscall(SysOpenat2, directory.DangerousGetHandle(), (nint)p, (nint)(&how), sizeof(OpenHow));
            }
        }
        finally
        {
            if (added)
            {
                directory.DangerousRelease();
            }
        }
    }

    /// <summary>The target of the symlink <paramref name="link"/> (an <c>O_PATH | O_NOFOLLOW</c> descriptor of it); null with errno set on failure.</summary>
    public static string? ReadLink(SafeHandle link)
    {
        var buffer = stackalloc byte[PathMax];
        var empty = stackalloc byte[1];
        empty[0] = 0;
        var added = false;
        try
        {
            link.DangerousAddRef(ref added);
            var length = readlinkat((int)link.DangerousGetHandle(), empty, buffer, PathMax);
            return length < 0 ? null : System.Text.Encoding.UTF8.GetString(buffer, (int)length);
        }
        finally
        {
            if (added)
            {
                link.DangerousRelease();
            }
        }
    }

    /// <summary>The status of an open descriptor (<c>fstat</c>); a link is reported as one.</summary>
    public static bool TryGetStatus(SafeFileHandle file, out Stat stat) =>
        Syscall.fstat((int)file.DangerousGetHandle(), out stat) == 0;

    /// <summary>Wraps a descriptor a call returned, so that it is closed once.</summary>
    public static SafeFileHandle Own(int descriptor) => new(descriptor, ownsHandle: true);

    /// <summary>The errno of the last failed call on this thread.</summary>
    public static Errno LastError => NativeConvert.ToErrno(Marshal.GetLastPInvokeError());

    private static int Encoded(ReadOnlySpan<char> text) => System.Text.Encoding.UTF8.GetByteCount(text) + 1;

    private static void Encode(ReadOnlySpan<char> text, Span<byte> destination)
    {
        var length = System.Text.Encoding.UTF8.GetBytes(text, destination);
        destination[length] = 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct OpenHow(ulong Flags, ulong Mode, ulong Resolve);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int openat(int directory, byte* path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, nint directory, nint path, nint how, nint size);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint readlinkat(int directory, byte* path, byte* buffer, nint size);
}
