using System.IO.Pipelines;
using System.Net;

namespace FileServer.Transport;

/// <summary>
/// One connection's byte stream, with the write side following asyncio's <c>write()</c>/<c>drain()</c>
/// contract:
/// <list type="bullet">
/// <item><see cref="Write"/> copies bytes into a queue and returns at once; it never blocks and never throws
/// for a slow or vanished peer. A background pump sends the queue as fast as the peer reads.</item>
/// <item><see cref="DrainAsync"/> completes synchronously while the queue is below the high watermark;
/// otherwise it waits until a send leaves no more than the low watermark queued. A send error stored by the pump is
/// thrown from here.</item>
/// <item><see cref="SendFileAsync"/> (only where <see cref="CanSendFile"/>) waits until the queue is empty,
/// so bytes stay in order, then lets the kernel send a file range.</item>
/// </list>
/// Not thread-safe: one request handler writes at a time.
/// </summary>
internal interface ITransport : IAsyncDisposable
{
    /// <summary>The bytes the peer sends.</summary>
    PipeReader Input { get; }

    /// <summary>The peer's address, for logs.</summary>
    EndPoint? RemoteEndPoint { get; }

    /// <summary>Whether <see cref="SendFileAsync"/> can move file bytes without copying them through user space.</summary>
    bool CanSendFile { get; }

    /// <summary>Bytes handed to the kernel so far on this connection, queued writes and file ranges alike.</summary>
    long BytesSent { get; }

    /// <summary>Bytes written so far on this connection: sent, or still queued.</summary>
    long BytesWritten { get; }

    /// <summary>Whether bytes are waiting for the peer: queued, or a file range in the kernel's hands right now.</summary>
    bool IsSending { get; }

    /// <summary>
    /// A counter that grows whenever the peer accepts bytes (TCP bytes acknowledged where the OS tells,
    /// else bytes handed to the kernel): a send timeout watches it for progress.
    /// </summary>
    long SendProgress { get; }

    /// <summary>
    /// Completes the connection's set-up before the first request: the TLS handshake; nothing on a plain socket.
    /// </summary>
    /// <exception cref="IOException">The peer failed the handshake, went away, or sent something else than TLS.</exception>
    /// <exception cref="OperationCanceledException">The handshake took too long.</exception>
    ValueTask OpenAsync(CancellationToken cancellationToken);

    /// <summary>Whether <see cref="OpenAsync"/> has nothing to wait for (a plain socket): no handshake timer is needed.</summary>
    bool OpensAtOnce { get; }

    /// <summary>Queues <paramref name="bytes"/> for sending. Never blocks.</summary>
    void Write(ReadOnlySpan<byte> bytes);

    /// <summary>
    /// Queues <paramref name="bytes"/> without starting to send them: they leave with whatever the next
    /// <see cref="Write"/>, <see cref="CommitWrite"/> or <see cref="DrainAsync"/> sends, so a response head and a
    /// small body can share one send. Never blocks.
    /// </summary>
    void WriteDeferred(ReadOnlySpan<byte> bytes);

    /// <summary>
    /// Bytes that can still be queued before <see cref="DrainAsync"/> would wait (high watermark minus what is
    /// queued, never negative): a writer that sizes its pieces by it keeps the queue at the high watermark.
    /// </summary>
    int WriteBudget { get; }

    /// <summary>
    /// Bytes a <see cref="SendDirectAsync"/> would hand to the kernel at once once the queue has left: the free space of
    /// a plain socket's send buffer less what is queued, while less than the high watermark is queued; 0 otherwise
    /// (TLS, a send error, unknown).
    /// </summary>
    long DirectWriteSpace { get; }

    /// <summary>
    /// Sends <paramref name="bytes"/> after everything queued, straight from the caller's buffer, and completes once
    /// the kernel has taken all of it (as <see cref="SendFileAsync"/> does with file bytes), so the buffer is free
    /// again then; meant for a peer with room for them (<see cref="DirectWriteSpace"/>). Where direct sends are not
    /// possible (TLS) the bytes are written and drained.
    /// </summary>
    ValueTask SendDirectAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Queue memory to fill in place, at least <paramref name="sizeHint"/> bytes, so a file can be read straight
    /// into the queue; <see cref="CommitWrite"/> then queues what was filled. Never blocks.
    /// </summary>
    Memory<byte> GetWriteBuffer(int sizeHint);

    /// <summary>Queues the first <paramref name="count"/> bytes of the last <see cref="GetWriteBuffer"/>, as <see cref="Write"/> would.</summary>
    void CommitWrite(int count);

    /// <summary>
    /// Back-pressure point: completes at once while less than the high watermark is queued, else once a send leaves no
    /// more than the low watermark queued; ends early with <paramref name="cancellationToken"/>; rethrows a stored send
    /// error (a peer's as an <see cref="IOException"/>, any other fault of the send path as itself).
    /// </summary>
    ValueTask DrainAsync(CancellationToken cancellationToken = default);

    /// <summary>Waits until every queued byte has been handed to the operating system; rethrows a stored send error.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends <paramref name="count"/> bytes of <paramref name="file"/> from <paramref name="offset"/> with the
    /// kernel's zero-copy path, after everything queued before it. Returns the bytes sent: fewer than
    /// <paramref name="count"/> only when the file ended early.
    /// </summary>
    /// <exception cref="NotSupportedException">When <see cref="CanSendFile"/> is false.</exception>
    ValueTask<long> SendFileAsync(FileStream file, long offset, long count, CancellationToken cancellationToken = default);

    /// <summary>
    /// Batches small writes with the following file data into full packets (TCP_CORK) while true; setting it
    /// false pushes out whatever is held. Never needed for correctness.
    /// </summary>
    void SetBatching(bool enabled);

    /// <summary>
    /// Holds back partial packets (TCP_CORK) until the close, for a response the connection ends with: its last bytes
    /// then leave with the FIN in one segment, as nginx's <c>tcp_nopush</c> sends them. <see cref="SetBatching"/> no
    /// longer releases them; the close does. Never needed for correctness.
    /// </summary>
    void HoldUntilClose();

    /// <summary>
    /// Sends small writes at once from now on (TCP_NODELAY), for a connection that expects another response: one that
    /// ends with this response needs no such call, as its close pushes out what Nagle's algorithm would hold back.
    /// </summary>
    void SendWithoutDelay();

    /// <summary>
    /// Ends the connection gracefully: sends what is queued, half-closes, and briefly reads and discards what
    /// the peer still sends, so unread input cannot turn the close into a reset that destroys the response.
    /// </summary>
    /// <param name="linger">The longest wait for the last bytes to leave and for the peer's end.</param>
    /// <param name="peerSendsNoMore">
    /// True when the peer has said it sends nothing after a request that was read whole (<c>Connection: close</c>,
    /// or it closed its side): then the close waits for the peer's end only if input is already pending, as
    /// nginx's <c>lingering_close on</c> does, instead of an extra wake-up per connection.
    /// </param>
    ValueTask CloseAsync(TimeSpan linger, bool peerSendsNoMore);

    /// <summary>Ends the connection at once, discarding queued bytes. Idempotent.</summary>
    void Abort();

    /// <summary>
    /// Cancelled once the connection is aborted (<see cref="Abort"/>: shutdown deadline, send timeout): waits that
    /// are not sends, such as a rate limit's pause, end with it instead of outliving the connection.
    /// </summary>
    CancellationToken Aborted { get; }

    /// <summary>
    /// Whether the peer has closed or reset the connection, seen without reading (a readable socket with nothing
    /// to read). Meant for a response that is not sending, such as one in a rate limit's pause: unread bytes the
    /// peer sent mean it has not.
    /// </summary>
    bool PeerHasClosed { get; }
}
