using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Mono.Unix.Native;

namespace FileServer.Tests.Support;

/// <summary>Makes a file cold: what a test of the page-cache paths starts from.</summary>
internal static class PageCacheEviction
{
    /// <summary>
    /// Writes the file back, then drops it from the page cache (<c>POSIX_FADV_DONTNEED</c> drops only clean pages), until
    /// <c>mincore</c> finds none of it resident or 20 rounds have passed; returns the pages still resident. Right after a
    /// write, beside a busy test run, or while a server's read-ahead of the file is in flight, the kernel can keep pages:
    /// a test that needs the file wholly cold assumes 0.
    /// </summary>
    public static long Evict(string path)
    {
        var resident = 0L;
        for (var round = 0; round < 20; round++)
        {
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
            {
                stream.Flush(flushToDisk: true);
                var descriptor = (int)stream.SafeFileHandle.DangerousGetHandle();
                if (Syscall.posix_fadvise(descriptor, 0, 0, PosixFadviseAdvice.POSIX_FADV_DONTNEED) != 0)
                {
                    throw new IOException($"posix_fadvise(DONTNEED) {path}: {Stdlib.GetLastError()}");
                }
            }
            resident = ResidentPages(path);
            if (resident == 0)
            {
                break;
            }
        }
        return resident;
    }

    /// <summary>How many of the file's pages the page cache holds (<c>mincore</c> on a mapping that is never touched).</summary>
    public static long ResidentPages(string path)
    {
        var length = new FileInfo(path).Length;
        if (length == 0)
        {
            return 0;
        }
        using var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        var handle = view.SafeMemoryMappedViewHandle;
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            // A view at offset 0 starts at a page boundary, as mincore wants.
            var pages = (int)((length + Environment.SystemPageSize - 1) / Environment.SystemPageSize);
            var vector = new byte[pages];
            if (mincore(handle.DangerousGetHandle(), (nuint)length, vector) != 0)
            {
                throw new IOException($"mincore {path}: errno {Marshal.GetLastPInvokeError()}");
            }
            return vector.Count(b => (b & 1) != 0);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

#pragma warning disable SYSLIB1054 // LibraryImport needs unsafe code, which this test project does not allow.
    [DllImport("libc", SetLastError = true)]
    private static extern int mincore(IntPtr start, nuint length, byte[] vector);
#pragma warning restore SYSLIB1054
}
