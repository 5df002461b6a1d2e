namespace FileServer.Transport;

/// <summary>
/// Where a plain connection's read resumes, read by read: on the thread that completed it while few connections are
/// open — with .NET's inline socket completions, the socket engine's event loop, which answers the request with no
/// hand-off — and on the thread pool beyond that, whose threads use every core.
/// </summary>
/// <remarks>
/// One engine thread answering everything is the fastest server at low concurrency and a one-core server at high
/// concurrency. Measured on 2 cores beside nginx (docs/performance.md, "The socket engine as an event loop"): at ten
/// connections the loop gave 1.07–1.12× nginx's 4 KiB requests/s against the pool's 0.82–0.90×; at fifty 0.99×
/// against 1.08× (p99 0.94× against 0.70×), at a thousand 0.83× against 0.93×. The open connections stand for the
/// load: a few dozen keep one core busy.
/// </remarks>
/// <param name="openConnections">The number of connections open now.</param>
/// <param name="inlineUpTo">The most open connections at which reads still resume inline.</param>
internal sealed class ReadResumption(Func<long> openConnections, int inlineUpTo)
{
    /// <summary>The default of <c>inlineUpTo</c>: between the ten connections the loop wins at and the fifty it loses at.</summary>
    public const int DefaultInlineUpTo = 32;

    /// <summary>Whether the next read should resume on the thread that completes it.</summary>
    public bool Inline => openConnections() <= inlineUpTo;

    /// <summary>
    /// Whether a connection just accepted on this thread should start here rather than be queued to the pool: on a
    /// socket engine thread (not a pool thread), while <see cref="Inline"/> holds. A deferred accept hands over a
    /// connection with its request, which is then read, answered and (for a client that asked to close) closed with no
    /// hand-off; where it has to wait, the accepting loop goes on at once.
    /// </summary>
    public bool StartsHere => !Thread.CurrentThread.IsThreadPoolThread && Inline;
}
