using System.Runtime.CompilerServices;

namespace FileServer.Transport;

/// <summary>
/// Moves the code after an <c>await</c> onto the thread pool when it runs on the socket engine's own thread, and
/// costs nothing when it does not.
/// </summary>
/// <remarks>
/// With .NET's inline socket completions (the command line turns them on, see docs/performance.md), a plain
/// connection's read resumes on the engine thread that saw the bytes arrive, and the request is answered there, as
/// in nginx's event loop: no hand-off to another thread per request. Work that can take long before its first wait
/// (a listing, an archive, a TLS handshake) would hold every other connection of that engine meanwhile; it hops
/// first. Engine threads are not thread-pool threads, which is how they are told apart.
/// </remarks>
internal readonly struct ThreadPoolHop : ICriticalNotifyCompletion
{
    /// <summary>An awaitable that leaves a socket engine thread for the pool, or continues at once on any other.</summary>
    public static ThreadPoolHop OffEngineThread() => default;

    /// <summary>The awaiter: this hop itself.</summary>
    public ThreadPoolHop GetAwaiter() => this;

    /// <summary>True (no hop) on a thread-pool thread.</summary>
    public bool IsCompleted => Thread.CurrentThread.IsThreadPoolThread;

    /// <summary>Nothing to return.</summary>
    public void GetResult()
    {
    }

    /// <inheritdoc />
    public void OnCompleted(Action continuation) => ThreadPool.QueueUserWorkItem(static c => c(), continuation, preferLocal: false);

    /// <inheritdoc />
    public void UnsafeOnCompleted(Action continuation) => ThreadPool.UnsafeQueueUserWorkItem(static c => c(), continuation, preferLocal: false);
}
