using System.Collections.Concurrent;
using FileServer.Platform;
using Microsoft.Win32.SafeHandles;

namespace FileServer.Serving;

/// <summary>
/// Brings file ranges that are not in the page cache into it on threads of its own, so a cold read waits there and
/// not on the thread pool: <c>sendfile(2)</c> on a page-cache miss blocks the thread that calls it, and on two cores
/// four cold downloads took the pool threads hot requests needed until the pool injected more (measured: 4 KiB p99
/// 24–44 ms instead of 4–6 ms beside four cold downloads; docs/performance.md, "Cold files"). nginx's
/// <c>aio threads</c> has the same idea. A hot range costs three one-byte <c>preadv2(RWF_NOWAIT)</c> probes; a cold
/// one is read in by <see cref="IPlatform.TryReadIntoCache"/>, which copies nothing where the platform allows.
/// </summary>
internal sealed class ColdRangeWarmer : IDisposable
{
    /// <summary>How much the copy path looks at and brings in at a time; the zero-copy path takes four at once.</summary>
    public const int Slice = 2 * 1024 * 1024;

    private const int ReadSize = 256 * 1024;
    private readonly IPlatform _platform;
    private readonly BlockingCollection<Request> _requests = new();
    private readonly int _readers;
    // Reader threads started so far, and those waiting for work now.
    private int _started;
    private int _waiting;

    /// <summary>
    /// Up to <paramref name="readers"/> reader threads, started as cold ranges come and none is free: a server that
    /// never meets a cold file starts none (eight idle readers were 8 of an idle server's 24 threads and about
    /// 0.25 MiB of its RSS).
    /// </summary>
    public ColdRangeWarmer(IPlatform platform, int readers)
    {
        _platform = platform;
        _readers = readers;
    }

    /// <summary>Reader threads started so far.</summary>
    public int ReadersStarted => Volatile.Read(ref _started);

    /// <summary>
    /// Completes at once when the range looks cached; otherwise once a reader thread has read it (the wait is on
    /// that thread, never on the caller's).
    /// </summary>
    public Task EnsureCachedAsync(SafeFileHandle file, long offset, long length)
    {
        if (_platform.IsCached(file, offset, length))
        {
            return Task.CompletedTask;
        }
        var request = new Request(file, offset, length, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        return Enqueue(request) ? request.Done!.Task : Task.CompletedTask;
    }

    /// <summary>
    /// Reads only what the page cache holds (<see cref="IPlatform.ReadIfCached"/>): -1 when the first page is not
    /// cached, and the caller then waits for <see cref="EnsureCachedAsync"/> instead of the disk.
    /// </summary>
    public int ReadIfCached(SafeFileHandle file, Span<byte> buffer, long offset) => _platform.ReadIfCached(file, buffer, offset);

    /// <summary>
    /// Asks the disk for a range that does not look cached and returns at once: a reader thread starts the reads
    /// (<see cref="IPlatform.Prefetch"/>) without waiting for them or copying a byte, so the range is usually in by
    /// the time <see cref="EnsureCachedAsync"/> looks at it. For the slice after the one being sent.
    /// </summary>
    public void Prefetch(SafeFileHandle file, long offset, long length)
    {
        if (!_platform.IsCached(file, offset, length))
        {
            Enqueue(new Request(file, offset, length, Done: null));
        }
    }

    // Queues the request, and starts a reader when none is waiting for work and the limit allows one more.
    private bool Enqueue(Request request)
    {
        if (!_requests.TryAdd(request))
        {
            return false;
        }
        if (Volatile.Read(ref _waiting) == 0)
        {
            StartReaderIfAllowed();
        }
        return true;
    }

    private void StartReaderIfAllowed()
    {
        if (Interlocked.Increment(ref _started) > _readers)
        {
            Interlocked.Decrement(ref _started);
            return;
        }
        new Thread(Read) { IsBackground = true, Name = "Disk reader" }.Start();
    }

    /// <summary>Lets the reader threads end once the queue is empty.</summary>
    public void Dispose() => _requests.CompleteAdding();

    private void Read()
    {
        byte[]? buffer = null;
        while (true)
        {
            Interlocked.Increment(ref _waiting);
            var taken = _requests.TryTake(out var request, Timeout.Infinite);
            Interlocked.Decrement(ref _waiting);
            if (!taken || request is null)
            {
                // Disposed and drained.
                return;
            }
            if (request.Done is null)
            {
                Prefetch(request);
                continue;
            }
            try
            {
                if (!_platform.TryReadIntoCache(request.File, request.Offset, request.Length))
                {
                    buffer ??= GC.AllocateUninitializedArray<byte>(ReadSize);
                    ReadThrough(request, buffer);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or UnauthorizedAccessException)
            {
                // Only a warm-up: the sendfile that follows reads the same bytes, meets the same error and reports it
                // through the response's own path (a truncated file, an I/O error, an aborted connection).
            }
            request.Done!.SetResult();
        }
    }

    // Where the platform cannot read into the cache without copying: through a scratch buffer.
    private static void ReadThrough(Request request, byte[] buffer)
    {
        for (long done = 0; done < request.Length;)
        {
            var read = RandomAccess.Read(request.File, buffer.AsSpan(0, (int)Math.Min(ReadSize, request.Length - done)), request.Offset + done);
            if (read == 0)
            {
                break;
            }
            done += read;
        }
    }

    private void Prefetch(Request request)
    {
        try
        {
            _platform.Prefetch(request.File, request.Offset, request.Length);
        }
        catch (ObjectDisposedException)
        {
            // The response ended and its file was closed before its turn: nothing left to fetch for.
        }
    }

    // Done is null for a prefetch, which nobody waits for.
    private sealed record Request(SafeFileHandle File, long Offset, long Length, TaskCompletionSource? Done);
}
