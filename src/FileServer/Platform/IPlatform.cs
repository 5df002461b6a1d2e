using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace FileServer.Platform;

/// <summary>
/// The one seam between the server and the operating system. Everything that differs between Linux (the
/// target, through Mono.Posix and libc) and other systems (plain .NET) lives behind it, so no other code
/// branches on the OS.
/// </summary>
internal interface IPlatform
{
    /// <summary>A short name for logs, e.g. <c>posix</c> or <c>managed</c>.</summary>
    string Name { get; }

    /// <summary>Status of the entry at <paramref name="path"/>, following symlinks; null when it does not exist.</summary>
    FileStatus? GetStatus(string path);

    /// <summary>
    /// Opens <paramref name="path"/> for reading without ever blocking on a FIFO or device swapped in after the
    /// path was checked, and returns it with its status. The caller disposes it.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing is there (any more).</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    /// <exception cref="NotRegularFileException">It is not a regular file.</exception>
    OpenedFile OpenForReading(string path);

    /// <summary>
    /// Opens the directory at <paramref name="realPath"/> (a real path, every link resolved) as the served root:
    /// every file served is found through it. Links may lead out of it only when <paramref name="followSymlinks"/>.
    /// </summary>
    /// <exception cref="IOException">The directory cannot be opened.</exception>
    IFileRoot OpenRoot(string realPath, bool followSymlinks);

    /// <summary>Status of an open file, so what is served matches what was opened.</summary>
    FileStatus GetStatus(SafeFileHandle file);

    /// <summary>
    /// Whether the bytes at <paramref name="offset"/>, <paramref name="length"/> long, are in the page cache, as far
    /// as a look at its first, middle and last page tells (Linux <c>preadv2(RWF_NOWAIT)</c>, which reads only
    /// cached pages). True where the platform cannot tell: the caller then does what it would have done anyway.
    /// </summary>
    bool IsCached(SafeFileHandle file, long offset, long length);

    /// <summary>
    /// Reads into <paramref name="buffer"/> from <paramref name="offset"/> only what the page cache holds, without
    /// waiting for the disk (Linux <c>preadv2(RWF_NOWAIT)</c>): the bytes read, fewer than asked when only a first part
    /// is cached, 0 at the end of the file, or -1 when not even the first page is cached. A plain read where the
    /// platform cannot tell.
    /// </summary>
    /// <exception cref="IOException">The read failed.</exception>
    int ReadIfCached(SafeFileHandle file, Span<byte> buffer, long offset);

    /// <summary>
    /// Starts reading the bytes at <paramref name="offset"/>, <paramref name="length"/> long, into the page cache and
    /// returns without waiting for them (Linux <c>posix_fadvise(POSIX_FADV_WILLNEED)</c>): nothing is copied. It may
    /// still wait to queue the reads, so call it off the thread pool. No-op where unsupported.
    /// </summary>
    void Prefetch(SafeFileHandle file, long offset, long length);

    /// <summary>
    /// Reads the bytes at <paramref name="offset"/>, <paramref name="length"/> long, into the page cache and waits for
    /// them, without copying them out (Linux <c>sendfile(2)</c> into <c>/dev/null</c>): false where the platform
    /// cannot, or the read failed, and the caller then reads them itself. Waits on the disk: call it off the thread
    /// pool.
    /// </summary>
    bool TryReadIntoCache(SafeFileHandle file, long offset, long length);

    /// <summary>The canonical absolute path with every symlink resolved; null when some component does not exist.</summary>
    string? ResolveRealPath(string path);

    /// <summary>
    /// Holds back partial TCP segments while <paramref name="corked"/> is true (Linux <c>TCP_CORK</c>, like
    /// nginx's <c>tcp_nopush</c>) so a response head and the start of its body share packets; false flushes.
    /// No-op where unsupported.
    /// </summary>
    void SetCork(Socket socket, bool corked);

    /// <summary>
    /// Makes the listening socket <paramref name="listener"/> hand over a connection only once its first bytes have
    /// arrived (Linux <c>TCP_DEFER_ACCEPT</c>, nginx's <c>listen … deferred</c>, Apache's default <c>AcceptFilter … data</c>),
    /// or after about <paramref name="wait"/> without any. No-op where unsupported.
    /// </summary>
    void DeferAccept(Socket listener, TimeSpan wait);

    /// <summary>
    /// Another <see cref="Socket"/> for the listening socket <paramref name="listener"/> (a duplicated descriptor,
    /// <c>dup(2)</c>): the same queue of new connections, which a second socket engine thread can wait on and accept
    /// from, as nginx's workers share one listening socket. Null where unsupported: one socket per address then.
    /// </summary>
    Socket? ShareListener(Socket listener);

    /// <summary>
    /// Receives what <paramref name="socket"/> holds now, without waiting and whether or not it is non-blocking
    /// (Linux <c>recv(MSG_DONTWAIT)</c>): the count read (0 at the peer's end), or -1 when nothing is there yet or
    /// the platform has no such call, and .NET's asynchronous receive is to wait for it. A reset is a
    /// <see cref="SocketException"/>.
    /// </summary>
    int ReceiveNow(Socket socket, Span<byte> buffer);

    /// <summary>
    /// Sends what <paramref name="socket"/> takes now, without waiting and whether or not it is non-blocking (Linux
    /// <c>send(MSG_DONTWAIT)</c>): the count taken (perhaps fewer than offered), or -1 when it takes nothing now or
    /// the platform has no such call, and .NET's asynchronous send is to wait. A reset or a closed peer is a
    /// <see cref="SocketException"/>. With <paramref name="holdTail"/> a partial segment at the end waits for more bytes
    /// or the close, as under <c>TCP_CORK</c> (Linux <c>MSG_MORE</c>), without the option's call.
    /// </summary>
    int SendNow(Socket socket, ReadOnlySpan<byte> bytes, bool holdTail = false);

    /// <summary>
    /// The congestion control the kernel gives new TCP connections (Linux <c>net.ipv4.tcp_congestion_control</c>,
    /// e.g. <c>cubic</c> or <c>bbr</c>); null where unknown.
    /// </summary>
    string? DefaultCongestionControl { get; }

    /// <summary>
    /// Switches this TCP connection to the congestion control algorithm <paramref name="name"/> (Linux
    /// <c>TCP_CONGESTION</c>); false where the kernel refuses it (not built, or not allowed to this process) or the
    /// platform has no such choice.
    /// </summary>
    bool TrySetCongestionControl(Socket socket, string name);

    /// <summary>Bytes of this TCP connection the peer has acknowledged (Linux <c>TCP_INFO.tcpi_bytes_acked</c>); null where unknown.</summary>
    long? GetBytesAcknowledged(Socket socket);

    /// <summary>
    /// Bytes the kernel's send buffer of this TCP socket takes now without pushing back: half its size (Linux
    /// doubles <c>SO_SNDBUF</c> for bookkeeping) minus the bytes it holds (<c>SIOCOUTQ</c>), never negative;
    /// null where unknown.
    /// </summary>
    long? GetSendSpace(Socket socket);

    /// <summary>
    /// Puts SIGINT back to its default action if the process inherited it ignored, so that a handler registered
    /// afterwards receives it: a shell without job control (any script) starts background commands with SIGINT
    /// ignored, and .NET then never delivers it. No-op where signals do not apply.
    /// </summary>
    void RestoreInheritedInterrupt();

    /// <summary>Raises the soft open-file limit to the hard limit; returns the limit now in force, or null if unknown.</summary>
    ulong? RaiseOpenFileLimit();

    /// <summary>
    /// Returns the native heap's free memory to the system (glibc <c>malloc_trim</c>: the runtime's and OpenSSL's
    /// allocations for thousands of connections stay in malloc's arenas after they are freed). No-op elsewhere.
    /// </summary>
    void TrimNativeHeap();

    /// <summary>How many descriptors this process has open now; null where unknown.</summary>
    int? CountOpenDescriptors();
}
