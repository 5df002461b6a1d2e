using System.Net.Sockets;
using FileServer.Platform;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace FileServer.Tests.Support;

/// <summary>
/// The detected platform, except that every file it opens for serving gets other descriptors from the test: a read
/// handle or a send-file stream on which the kernel really fails (e.g. <c>/proc/self/mem</c>, whose reads at
/// unmapped addresses give EIO; a FIFO, which <c>sendfile(2)</c> refuses), or a send-file stream that cannot be
/// opened at all; or it refuses the copy-free read into the page cache, as a platform without one does. Status,
/// path and everything else stay the real file's.
/// </summary>
internal sealed class ReopeningPlatform(
    Func<OpenedFile, SafeFileHandle>? readHandle = null,
    Func<SafeFileHandle, FileStream>? zeroCopyStream = null,
    bool copyFreeReadIn = true) : IPlatform
{
    private readonly IPlatform _real = PlatformDetector.Detect();

    /// <summary>
    /// A send-file stream on a descriptor the kernel will not sendfile from: a FIFO, which has no file position to
    /// send from (ESPIPE, an error .NET has no name for).
    /// </summary>
    public static FileStream RefusedBySendFile(SafeFileHandle opened)
    {
        var fifo = Path.Combine(Path.GetTempPath(), $"fileserver-tests-fifo-{Guid.NewGuid():N}");
        if (Syscall.mkfifo(fifo, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR) != 0)
        {
            throw new IOException($"mkfifo {fifo}: {Stdlib.GetLastError()}");
        }
        // Held open for writing (O_RDWR never waits on Linux) while the read side opens, so that open does not wait.
        var writer = Syscall.open(fifo, OpenFlags.O_RDWR | OpenFlags.O_NONBLOCK);
        try
        {
            return new FileStream(File.OpenHandle(fifo, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.Asynchronous), FileAccess.Read, 0, isAsync: true);
        }
        finally
        {
            _ = Syscall.close(writer);
            File.Delete(fifo);
        }
    }

    /// <summary>A read handle whose reads fail with EIO: this process's memory at address 0, which is never mapped.</summary>
    public static SafeFileHandle FailingReads(OpenedFile _) =>
        File.OpenHandle("/proc/self/mem", FileMode.Open, FileAccess.Read, FileShare.ReadWrite);

    public string Name => _real.Name;

    public OpenedFile OpenForReading(string path) => Reopen(_real.OpenForReading(path));

    public IFileRoot OpenRoot(string realPath, bool followSymlinks) => new ReopeningRoot(_real.OpenRoot(realPath, followSymlinks), this);

    internal OpenedFile Reopen(OpenedFile opened)
    {
        if (readHandle is null)
        {
            return new OpenedFile(opened.Path, opened.Handle, opened.Status, zeroCopyStream ?? (h => opened.ZeroCopyStream));
        }
        var handle = readHandle(opened);
        opened.Dispose();
        return new OpenedFile(opened.Path, handle, opened.Status, zeroCopyStream ?? RefusedBySendFile);
    }

    public FileStatus? GetStatus(string path) => _real.GetStatus(path);

    public FileStatus GetStatus(SafeFileHandle file) => _real.GetStatus(file);

    public string? ResolveRealPath(string path) => _real.ResolveRealPath(path);

    public void SetCork(Socket socket, bool corked) => _real.SetCork(socket, corked);

    public void DeferAccept(Socket listener, TimeSpan wait) => _real.DeferAccept(listener, wait);

    public Socket? ShareListener(Socket listener) => _real.ShareListener(listener);

    public int ReceiveNow(Socket socket, Span<byte> buffer) => _real.ReceiveNow(socket, buffer);

    public int SendNow(Socket socket, ReadOnlySpan<byte> bytes, bool holdTail = false) => _real.SendNow(socket, bytes, holdTail);

    public string? DefaultCongestionControl => _real.DefaultCongestionControl;

    public bool TrySetCongestionControl(Socket socket, string name) => _real.TrySetCongestionControl(socket, name);

    public long? GetBytesAcknowledged(Socket socket) => _real.GetBytesAcknowledged(socket);

    public long? GetSendSpace(Socket socket) => _real.GetSendSpace(socket);

    public void RestoreInheritedInterrupt() => _real.RestoreInheritedInterrupt();

    public ulong? RaiseOpenFileLimit() => _real.RaiseOpenFileLimit();

    public void TrimNativeHeap() => _real.TrimNativeHeap();

    public bool IsCached(SafeFileHandle file, long offset, long length) => _real.IsCached(file, offset, length);

    public void Prefetch(SafeFileHandle file, long offset, long length) => _real.Prefetch(file, offset, length);

    public bool TryReadIntoCache(SafeFileHandle file, long offset, long length) => copyFreeReadIn && _real.TryReadIntoCache(file, offset, length);

    public int ReadIfCached(SafeFileHandle file, Span<byte> buffer, long offset) => _real.ReadIfCached(file, buffer, offset);

    public int? CountOpenDescriptors() => _real.CountOpenDescriptors();
}

/// <summary>The real root's lookups, with every file it opens given the platform's other descriptors.</summary>
file sealed class ReopeningRoot(IFileRoot real, ReopeningPlatform platform) : IFileRoot
{
    public string RealPath => real.RealPath;

    public string Confinement => real.Confinement;

    public FileLookup Find(string relativePath) => real.Find(relativePath);

    public IReadOnlyList<DirectoryEntry> List(in FileLookup found) => real.List(found);

    public OpenedFile Open(in FileLookup found) => platform.Reopen(real.Open(found));

    public bool StillNames(in FileLookup found, FileIdentity identity) => real.StillNames(found, identity);

    public void Dispose() => real.Dispose();
}
