using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using FileServer.Platform;
using Microsoft.Extensions.Logging;

namespace FileServer.Serving;

/// <summary>One version of a file: what a digest is computed for and remembered by.</summary>
/// <param name="Identity">Device and inode (unknown on platforms without them).</param>
/// <param name="Length">Its size.</param>
/// <param name="ModifiedUnixNanoseconds">Its modification time.</param>
internal readonly record struct FileVersion(FileIdentity Identity, long Length, long ModifiedUnixNanoseconds)
{
    /// <summary>The version <paramref name="status"/> describes.</summary>
    public static FileVersion Of(FileStatus status) => new(status.Identity, status.Length, status.ModifiedUnixNanoseconds);
}

/// <summary>
/// SHA-256 digests of served files (RFC 9530 <c>Repr-Digest</c>, and the <c>.sha256</c> sibling), computed once per
/// <see cref="FileVersion"/> by one background worker, never on a request's path: a response asks and goes without
/// while the digest is not ready. The file is looked up again beneath the root and hashed only if it is still that
/// version, before and after the read, so a digest never describes bytes other than its version's. Bounded: at most
/// <c>capacity</c> versions remembered (the oldest forgotten first) and 256 waiting to be hashed (more are dropped
/// and asked again by a later request).
/// </summary>
internal sealed class DigestCache : IAsyncDisposable
{
    private const int ReadSize = 1024 * 1024;

    private readonly IFileRoot _root;
    private readonly IPlatform _platform;
    private readonly ILogger _log;
    private readonly int _capacity;
    private readonly Lock _gate = new();
    private readonly Dictionary<FileVersion, TaskCompletionSource<byte[]?>> _digests = new();
    private readonly Queue<FileVersion> _age = new();
    private readonly CancellationTokenSource _stopping = new();
    // The queue and its worker, made by the first request for a digest: most servers are never asked for one.
    private Channel<(FileVersion Version, string Path, TaskCompletionSource<byte[]?> Result)>? _work;
    private Task _worker = Task.CompletedTask;
    private bool _disposed;

    /// <summary>Hashes files found beneath <paramref name="root"/>; remembers at most <paramref name="capacity"/> versions.</summary>
    public DigestCache(IFileRoot root, IPlatform platform, ILogger log, int capacity = 4096)
    {
        _root = root;
        _platform = platform;
        _log = log;
        _capacity = capacity;
    }

    /// <summary>The <c>Repr-Digest</c> value of <paramref name="version"/> if it is ready; otherwise asks for it (found at <paramref name="relativePath"/>) and returns null.</summary>
    public string? FieldValueOrRequest(FileVersion version, string relativePath)
    {
        // A digest this very call asked for is not taken even if the worker was quicker than this thread: whether the
        // first response carries it would otherwise depend on the scheduler.
        var digest = Slot(version, relativePath, out var asked).Task;
        return !asked && digest.IsCompletedSuccessfully && digest.Result is { } bytes ? $"sha-256=:{Convert.ToBase64String(bytes)}:" : null;
    }

    /// <summary>The digest of <paramref name="version"/>, waiting for it if need be; null when the file changed or could not be read.</summary>
    public Task<byte[]?> GetAsync(FileVersion version, string relativePath, CancellationToken cancellationToken) =>
        Slot(version, relativePath, out _).Task.WaitAsync(cancellationToken);

    // The slot of version's digest; asked is true when this call made it and queued the computation.
    private TaskCompletionSource<byte[]?> Slot(FileVersion version, string relativePath, out bool asked)
    {
        TaskCompletionSource<byte[]?> slot;
        Channel<(FileVersion, string, TaskCompletionSource<byte[]?>)> work;
        asked = false;
        lock (_gate)
        {
            if (_digests.TryGetValue(version, out var known))
            {
                return known;
            }
            asked = true;
            work = _work ?? StartWorker();
            slot = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
            _digests[version] = slot;
            _age.Enqueue(version);
            while (_age.Count > _capacity && _age.TryDequeue(out var oldest))
            {
                _digests.Remove(oldest);
            }
        }
        if (!work.Writer.TryWrite((version, relativePath, slot)))
        {
            // Queue full (or stopping): forgotten, so a later request asks again.
            lock (_gate)
            {
                _digests.Remove(version);
            }
            slot.TrySetResult(null);
        }
        return slot;
    }

    // Under _gate. Wait mode only so that TryWrite says when the queue is full (DropWrite drops silently); nothing
    // ever waits on it.
    private Channel<(FileVersion, string, TaskCompletionSource<byte[]?>)> StartWorker()
    {
        var work = Channel.CreateBounded<(FileVersion, string, TaskCompletionSource<byte[]?>)>(
            new BoundedChannelOptions(256) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _work = work;
        if (_disposed)
        {
            work.Writer.TryComplete();
            return work;
        }
        _worker = Task.Run(() => RunAsync(work));
        return work;
    }

    private async Task RunAsync(Channel<(FileVersion Version, string Path, TaskCompletionSource<byte[]?> Result)> work)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ReadSize);
        try
        {
            await foreach (var (version, path, result) in work.Reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                var digest = Compute(version, path, buffer);
                if (digest is null)
                {
                    lock (_gate)
                    {
                        _digests.Remove(version);
                    }
                }
                result.TrySetResult(digest);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: what is still queued is never needed.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private byte[]? Compute(FileVersion version, string path, byte[] buffer)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var found = _root.Find(path);
            if (found.Outcome != LookupOutcome.Found || FileVersion.Of(found.Status) != version)
            {
                return null;
            }
            using var file = _root.Open(found);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long offset = 0;
            while (offset < version.Length && !_stopping.IsCancellationRequested)
            {
                var read = RandomAccess.Read(file.Handle, buffer.AsSpan(0, (int)Math.Min(ReadSize, version.Length - offset)), offset);
                if (read == 0)
                {
                    return null;
                }
                hash.AppendData(buffer, 0, read);
                offset += read;
            }
            // Changed while it was read: the bytes hashed may be of two versions.
            if (offset != version.Length || FileVersion.Of(_platform.GetStatus(file.Handle)) != version)
            {
                return null;
            }
            ServingLog.DigestComputed(_log, file.Path, version.Length, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return hash.GetHashAndReset();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotRegularFileException)
        {
            ServingLog.DigestFailed(_log, path, e.Message);
            return null;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Task worker;
        lock (_gate)
        {
            _disposed = true;
            _work?.Writer.TryComplete();
            worker = _worker;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        await worker.ConfigureAwait(false);
        _stopping.Dispose();
        lock (_gate)
        {
            // Whoever still waits (a .sha256 request) is answered: no digest.
            foreach (var slot in _digests.Values)
            {
                slot.TrySetResult(null);
            }
        }
    }
}
