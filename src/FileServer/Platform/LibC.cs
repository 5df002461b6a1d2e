using System.Runtime.InteropServices;

namespace FileServer.Platform;

/// <summary>
/// Every libc function the server calls directly, in one place: what Mono.Posix 1.0.0 lacks (<c>openat2</c>,
/// <c>statx</c>, <c>getrlimit</c>/<c>setrlimit</c>, <c>ioctl(SIOCOUTQ)</c>, <c>sigaction</c>, <c>recv</c> and <c>send</c>
/// with <c>MSG_DONTWAIT</c>, <c>fcntl(F_DUPFD_CLOEXEC)</c>) or marshals through an
/// allocating string marshaler on the lookup path (<c>openat</c>, <c>readlinkat</c>). Mono.Posix's public API serves
/// the rest (<c>sendfile</c>, <c>posix_fadvise</c>, flag and errno conversions); none of its private native entry
/// points is imported. Callers keep errno with <see cref="Marshal.GetLastPInvokeError"/>.
/// </summary>
internal static unsafe partial class LibC
{
    /// <summary><c>struct rlimit</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public readonly record struct ResourceLimit(ulong Current, ulong Maximum);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int openat(int directory, byte* path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial long syscall(long number, nint directory, nint path, nint how, nint size);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int statx(int directory, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint readlinkat(int directory, byte* path, byte* buffer, nint size);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int descriptor);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint fdopendir(int descriptor);

    [LibraryImport("libc", EntryPoint = "readdir64", SetLastError = true)]
    public static partial nint readdir(nint directory);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int closedir(nint directory);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc")]
    public static partial void free(IntPtr pointer);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getrlimit(int resource, out ResourceLimit limit);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setrlimit(int resource, in ResourceLimit limit);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int sigaction(int signal, byte* action, byte* previous);

    [LibraryImport("libc")]
    public static partial int malloc_trim(nuint pad);

    /// <summary><c>struct iovec</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        public void* Base;
        public nuint Length;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint preadv2(int descriptor, IoVector* vectors, int count, long offset, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint signal(int signal, nint handler);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, out int value);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recv(System.Net.Sockets.SafeSocketHandle socket, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint send(System.Net.Sockets.SafeSocketHandle socket, byte* buffer, nuint length, int flags);

    /// <summary><c>fcntl</c> with an integer argument (here <c>F_DUPFD_CLOEXEC</c>).</summary>
    [LibraryImport("libc", SetLastError = true)]
    public static partial int fcntl(System.Net.Sockets.SafeSocketHandle socket, int command, int argument);
}
