using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Mono.Unix.Native;

namespace FileServer.Platform;

/// <summary>
/// The libc calls a lookup beneath the root makes, on plain descriptors (no <see cref="SafeHandle"/> per lookup)
/// with paths encoded on the stack: <c>openat</c>, <c>openat2</c> (through <c>syscall</c>: glibc has no wrapper),
/// <c>statx</c> (one layout on every architecture, unlike <c>struct stat</c>), <c>readlinkat</c>, <c>close</c>.
/// Mono.Posix 1.0.0 has neither <c>openat2</c> nor <c>statx</c>, and marshals string paths through an allocating
/// custom marshaler.
/// </summary>
internal static unsafe class LinuxFileCalls
{
    /// <summary>O_PATH: names the entry without opening it for reading (no side effect on a FIFO or device).</summary>
    public const int OPath = 0x200000;

    /// <summary>RESOLVE_NO_MAGICLINKS: no <c>/proc/PID/fd</c>-style link is followed.</summary>
    public const ulong ResolveNoMagicLinks = 0x02;

    /// <summary>RESOLVE_BENEATH: the lookup fails with EXDEV rather than leave the directory it starts from.</summary>
    public const ulong ResolveBeneath = 0x08;

    /// <summary>AT_FDCWD: a path relative to the working directory (or absolute), where a directory descriptor goes.</summary>
    public const int CurrentDirectory = -100;

    /// <summary>AT_SYMLINK_NOFOLLOW: a link is reported as itself.</summary>
    public const int AtSymlinkNoFollow = 0x100;

    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxSize = 256;
    private const long SysOpenat2 = 437; // the same number on every Linux architecture (added in 5.6)
    private const int PathMax = 4096;

    /// <summary>The native value of <c>O_CLOEXEC | O_NOFOLLOW</c> and friends, which differ between architectures.</summary>
    public static int Native(OpenFlags flags) => NativeConvert.FromOpenFlags(flags);

    /// <summary><c>openat(2)</c>: a descriptor, or -1 with errno set.</summary>
    public static int OpenAt(int directory, ReadOnlySpan<char> path, int flags)
    {
        Span<byte> encoded = stackalloc byte[Encoded(path)];
        Encode(path, encoded);
        fixed (byte* p = encoded)
        {
            return LibC.openat(directory, p, flags);
        }
    }

    /// <summary><c>openat2(2)</c> with <paramref name="resolve"/> flags: a descriptor, or -1 with errno set (ENOSYS where the kernel lacks it).</summary>
    public static int OpenAt2(int directory, ReadOnlySpan<char> path, int flags, ulong resolve)
    {
        Span<byte> encoded = stackalloc byte[Encoded(path)];
        Encode(path, encoded);
        var how = new OpenHow((ulong)(uint)flags, 0, resolve);
        fixed (byte* p = encoded)
        {
            return (int)LibC.syscall(SysOpenat2, directory, (nint)p, (nint)(&how), sizeof(OpenHow));
        }
    }

    /// <summary>
    /// <c>statx(2)</c> of <paramref name="path"/> relative to <paramref name="directory"/> (with
    /// <see cref="AtSymlinkNoFollow"/>, a link as itself); false with errno set on failure.
    /// </summary>
    public static bool TryStatAt(int directory, ReadOnlySpan<char> path, int flags, out FileStatus status)
    {
        Span<byte> encoded = stackalloc byte[Encoded(path)];
        Encode(path, encoded);
        fixed (byte* p = encoded)
        {
            return TryStatx(directory, p, flags, out status);
        }
    }

    /// <summary><c>statx(2)</c> of the NUL-terminated name <paramref name="name"/> in <paramref name="directory"/>; false with errno set.</summary>
    public static bool TryStatAt(int directory, ReadOnlySpan<byte> name, int flags, out FileStatus status)
    {
        fixed (byte* p = name)
        {
            return TryStatx(directory, p, flags, out status);
        }
    }

    /// <summary>The status of an open descriptor (a link, opened with <c>O_PATH | O_NOFOLLOW</c>, as itself); false with errno set.</summary>
    public static bool TryStat(int descriptor, out FileStatus status)
    {
        byte empty = 0;
        return TryStatx(descriptor, &empty, AtEmptyPath | AtSymlinkNoFollow, out status);
    }

    /// <summary>The target of the symlink <paramref name="link"/> (an <c>O_PATH | O_NOFOLLOW</c> descriptor of it); null with errno set.</summary>
    public static string? ReadLink(int link)
    {
        var buffer = stackalloc byte[PathMax];
        byte empty = 0;
        var length = LibC.readlinkat(link, &empty, buffer, PathMax);
        return length < 0 ? null : Encoding.UTF8.GetString(buffer, (int)length);
    }

    /// <summary>Closes <paramref name="descriptor"/> when it is one (≥ 0).</summary>
    public static void Close(int descriptor)
    {
        if (descriptor >= 0)
        {
            // close(2) releases the descriptor even when it reports an error (EINTR, EIO): nothing to retry.
            _ = LibC.close(descriptor);
        }
    }

    /// <summary>The errno of the last failed call on this thread.</summary>
    public static Errno LastError => NativeConvert.ToErrno(Marshal.GetLastPInvokeError());

    private static bool TryStatx(int directory, byte* path, int flags, out FileStatus status)
    {
        var buffer = stackalloc byte[StatxSize];
        if (LibC.statx(directory, path, flags, StatxBasicStats, buffer) != 0)
        {
            status = default;
            return false;
        }
        status = ToStatus(new ReadOnlySpan<byte>(buffer, StatxSize));
        return true;
    }

    // struct statx (linux/stat.h): the same offsets on every architecture.
    private static FileStatus ToStatus(ReadOnlySpan<byte> statx)
    {
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(statx[28..]);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.SymbolicLink,
            _ => FileKind.Other,
        };
        var inode = BinaryPrimitives.ReadUInt64LittleEndian(statx[32..]);
        var size = BinaryPrimitives.ReadInt64LittleEndian(statx[40..]);
        var modifiedSeconds = BinaryPrimitives.ReadInt64LittleEndian(statx[112..]);
        var modifiedNanoseconds = BinaryPrimitives.ReadUInt32LittleEndian(statx[120..]);
        var deviceMajor = BinaryPrimitives.ReadUInt32LittleEndian(statx[136..]);
        var deviceMinor = BinaryPrimitives.ReadUInt32LittleEndian(statx[140..]);
        var device = ((ulong)deviceMajor << 32) | deviceMinor;
        return new FileStatus(kind, size, (modifiedSeconds * 1_000_000_000L) + modifiedNanoseconds, new FileIdentity(device, inode));
    }

    private static int Encoded(ReadOnlySpan<char> text) => Encoding.UTF8.GetByteCount(text) + 1;

    private static void Encode(ReadOnlySpan<char> text, Span<byte> destination)
    {
        var length = Encoding.UTF8.GetBytes(text, destination);
        destination[length] = 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct OpenHow(ulong Flags, ulong Mode, ulong Resolve);
}
