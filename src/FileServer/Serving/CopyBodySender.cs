using System.Runtime.CompilerServices;
using FileServer.Platform;
using FileServer.Transport;

namespace FileServer.Serving;

/// <summary>
/// The fallback path: read a chunk into the transport's queue, commit it, then <see cref="ITransport.DrainAsync"/>
/// — write first, then drain, never the other way round. Chunks are sized by <see cref="ITransport.WriteBudget"/>,
/// so a connection's queue never holds more than the high watermark, however slowly the peer reads.
/// </summary>
internal sealed class CopyBodySender : IBodySender
{
    private const int MinimumRead = 4096;
    // Ranges below this are read on the caller's thread without a look at the page cache first: three probes would
    // cost more than most such reads, and a cold one waits briefly.
    private const long WarmedRangeMinimum = 256 * 1024;

    private readonly int _chunkSize;
    private readonly long _limitRate;
    private readonly TimeProvider _clock;
    private readonly DirectBufferPool _directBuffers;
    private readonly ColdRangeWarmer? _warmer;

    /// <summary>
    /// Creates a sender reading <paramref name="chunkSize"/> bytes at a time, pacing each body to
    /// <paramref name="limitRate"/> bytes per second (0: no limit). With <paramref name="warmer"/>, a large range is
    /// looked at a slice at a time and a slice not in the page cache is read in by the warmer's threads before the
    /// chunks read from it: the disk wait is theirs, not a pool thread's (TLS and --no-sendfile bodies).
    /// </summary>
    public CopyBodySender(int chunkSize, long limitRate, TimeProvider clock, ColdRangeWarmer? warmer = null)
    {
        _warmer = warmer;
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        _chunkSize = chunkSize;
        _limitRate = limitRate;
        _clock = clock;
        // Two per core: a direct send goes only to a socket with room for the whole chunk, so it nearly always
        // completes within the call and a buffer is out only briefly; when all are out, the queued path serves.
        _directBuffers = new DirectBufferPool(chunkSize, 2 * Environment.ProcessorCount);
    }

    /// <inheritdoc />
    public BodyPath Path => BodyPath.Copy;

    /// <inheritdoc />
    public ValueTask<BodyPath> SendAsync(ITransport transport, OpenedFile file, BodySegments segments, CancellationToken cancellationToken) =>
        SendAsync(transport, file, segments, _limitRate > 0 ? new RatePacer(_limitRate, _clock) : null, cancellationToken);

    /// <summary>
    /// Sends <paramref name="segments"/> paced by <paramref name="pacer"/> (null: no limit), which may already have
    /// counted bytes of the same body sent another way (a zero-copy body that fell back to copying).
    /// </summary>
    // Runs once per request (or per queued send): pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<BodyPath> SendAsync(ITransport transport, OpenedFile file, BodySegments segments, RatePacer? pacer, CancellationToken cancellationToken)
    {
        for (var i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            if (segment.IsFileRange)
            {
                await CopyRangeAsync(transport, file, segment.FileOffset, segment.FileCount, pacer, cancellationToken).ConfigureAwait(false);
            }
            else if (i + 1 < segments.Count && pacer is null)
            {
                // File bytes follow: let this head (or part header) leave in the same send as they do.
                transport.WriteDeferred(segment.Bytes.Span);
            }
            else
            {
                transport.Write(segment.Bytes.Span);
            }
        }
        return BodyPath.Copy;
    }

    // Runs once per request (or per queued send): pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CopyRangeAsync(ITransport transport, OpenedFile file, long offset, long count, RatePacer? pacer, CancellationToken cancellationToken)
    {
        var chunk = (int)(pacer?.SliceSize(_chunkSize) ?? _chunkSize);
        var warmer = count >= WarmedRangeMinimum ? _warmer : null;
        long done = 0;
        long warmedUpTo = 0;
        while (done < count)
        {
            if (pacer is not null)
            {
                await pacer.WaitAsync(transport).ConfigureAwait(false);
            }
            if (warmer is not null && done >= warmedUpTo)
            {
                var slice = Math.Min(ColdRangeWarmer.Slice, count - done);
                await warmer.EnsureCachedAsync(file.Handle, offset + done, slice).ConfigureAwait(false);
                warmedUpTo = done + slice;
                // The next slice is asked of the disk while this one is copied out (see ZeroCopyBodySender).
                if (warmedUpTo < count)
                {
                    warmer.Prefetch(file.Handle, offset + warmedUpTo, Math.Min(ColdRangeWarmer.Slice, count - warmedUpTo));
                }
            }
            var budget = Math.Max(MinimumRead, transport.WriteBudget);
            var want = (int)Math.Min(chunk, count - done);
            byte[]? direct = null;
            int read;
            if (want > budget && transport.DirectWriteSpace >= want && (direct = _directBuffers.TryRent()) is not null)
            {
                try
                {
                    // The peer's socket has room for a whole chunk, more than the queue may hold: read it into a shared
                    // buffer and hand it to the kernel at once, so a fast peer costs 4 reads and sends per MiB instead
                    // of 16. Nothing is queued; the send holds the buffer until the kernel took every byte, and a slow
                    // peer's full socket never has such room, so the queue still holds at most the watermark.
                    read = await ReadAsync(file, direct.AsMemory(0, want), offset + done, done, count).ConfigureAwait(false);
                    await transport.SendDirectAsync(direct.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _directBuffers.Return(direct);
                }
            }
            else
            {
                read = await CopyQueuedAsync(transport, file, offset + done, Math.Min(want, budget), done, count).ConfigureAwait(false);
            }
            done += read;
            pacer?.Sent(read);
            await transport.DrainAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // Reads straight into the transport's queue (no extra buffer, no copy), never past the high watermark: with a
    // slow peer the queue then holds at most the watermark, not the watermark plus a chunk.
    private async ValueTask<int> CopyQueuedAsync(ITransport transport, OpenedFile file, long position, int want, long done, long count)
    {
        var buffer = transport.GetWriteBuffer(want);
        var read = await ReadAsync(file, buffer[..want], position, done, count).ConfigureAwait(false);
        transport.CommitWrite(read);
        return read;
    }

    // With a warmer, a read never waits for the disk on the caller's thread — with inline socket completions that is
    // the event loop every other connection waits on: a page-cache miss is brought in by the warmer's threads, and
    // read again once it is in (on the thread that resumes, a pool thread). Ranges from 256 KiB were looked at
    // already; this catches the smaller ones, at no cost when cached (the read is the one that would be made anyway).
    private async ValueTask<int> ReadAsync(OpenedFile file, Memory<byte> buffer, long position, long done, long count)
    {
        if (_warmer is null)
        {
            return ReadOrThrow(file, buffer.Span, position, done, count, ifCached: false);
        }
        var read = ReadOrThrow(file, buffer.Span, position, done, count, ifCached: true);
        if (read >= 0)
        {
            return read;
        }
        await _warmer.EnsureCachedAsync(file.Handle, position, buffer.Length).ConfigureAwait(false);
        return ReadOrThrow(file, buffer.Span, position, done, count, ifCached: false);
    }

    // Counts what was really read: a short read is fine, a zero read means the file shrank, a failed read is the
    // server's failure (a disk error), not the client's. -1: nothing cached (only when asked for cached bytes).
    private int ReadOrThrow(OpenedFile file, Span<byte> buffer, long position, long done, long count, bool ifCached)
    {
        int read;
        try
        {
            read = ifCached ? _warmer!.ReadIfCached(file.Handle, buffer, position) : RandomAccess.Read(file.Handle, buffer, position);
        }
        catch (IOException e)
        {
            throw new FileReadException(file.Path, e);
        }
        return read switch
        {
            > 0 or -1 => read,
            _ => throw new FileTruncatedException(done, count),
        };
    }
}
