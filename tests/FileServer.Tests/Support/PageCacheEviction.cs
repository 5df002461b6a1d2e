using Mono.Unix.Native;

namespace FileServer.Tests.Support;

/// <summary>Makes a file cold: what a test of the page-cache paths starts from.</summary>
internal static class PageCacheEviction
{
    /// <summary>Writes the file back, then drops it from the page cache (<c>POSIX_FADV_DONTNEED</c> drops only clean pages).</summary>
    public static void Evict(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Flush(flushToDisk: true);
        var descriptor = (int)stream.SafeFileHandle.DangerousGetHandle();
        if (Syscall.posix_fadvise(descriptor, 0, 0, PosixFadviseAdvice.POSIX_FADV_DONTNEED) != 0)
        {
            throw new IOException($"posix_fadvise(DONTNEED) {path}: {Stdlib.GetLastError()}");
        }
    }
}
