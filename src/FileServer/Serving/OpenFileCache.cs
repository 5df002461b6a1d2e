using FileServer.Platform;

namespace FileServer.Serving;

/// <summary>
/// Keeps the files served most recently open between requests (nginx's <c>open_file_cache</c>), so a hot file costs
/// no <c>open</c>, <c>fstat</c> and <c>close</c> per request.
/// </summary>
/// <remarks>
/// <para>
/// Never stale, unlike nginx's (which trusts an entry for <c>open_file_cache_valid</c> seconds): every request
/// still looks its path up beneath the root (<see cref="PathResolver"/>), and the cache is keyed on what that
/// lookup found, the file's device and inode, never on a name. A file replaced by a rename has a new inode and is
/// opened afresh (the old entry ages out); a file changed in place is read through the same descriptor, so its new
/// bytes are sent, described by this request's status. While a descriptor is open its inode number cannot be
/// reused, so equal identities cannot mislead.
/// </para>
/// <para>
/// Bounded: at most <c>capacity</c> files, the least recently used closed first; a sweep every
/// <c>inactiveTime</c> closes files nobody asked for since the last sweep, so the space of a deleted file is given
/// back (its timer runs only while the cache holds a file); <see cref="Dispose"/> closes the rest. Shared: each
/// response holds a <see cref="Lease"/>, and a file is closed once it has left the cache and its last lease has ended.
/// </para>
/// </remarks>
internal sealed partial class OpenFileCache : IDisposable
{
    private readonly int _capacity;
    private readonly TimeSpan _inactiveTime;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private readonly Dictionary<FileIdentity, Entry> _entries = new();
    // The entry last opened by each path, only to drop it once that path leads to another file: a replaced file's
    // descriptor (and a deleted file's space) is given back at the next request for its name, not at the sweep.
    private readonly Dictionary<string, Entry> _byPath = new(StringComparer.Ordinal);
    // Most recently used first, so the sweep and eviction only ever look at the tail.
    private readonly LinkedList<Entry> _recency = new();
    private readonly ITimer? _sweeper;
    private bool _sweeping;
    private bool _disposed;
    private long _hits;
    private long _misses;

    /// <summary>
    /// Creates a cache of at most <paramref name="capacity"/> open files (0 turns it off: every request opens and
    /// closes its file), each closed once unused for <paramref name="inactiveTime"/> to twice that.
    /// </summary>
    public OpenFileCache(int capacity, TimeSpan inactiveTime, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(inactiveTime, TimeSpan.Zero);
        _capacity = capacity;
        _inactiveTime = inactiveTime;
        _clock = clock;
        if (capacity > 0)
        {
            _sweeper = clock.CreateTimer(static state => ((OpenFileCache)state!).Sweep(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Opens answered with a file the cache held (no <c>open</c>), since start.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Opens that opened the file, since start.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Files held open by the cache now (leases of files already evicted not counted).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// The open file <paramref name="found"/> names (a regular file this request found beneath
    /// <paramref name="root"/>): the cached descriptor of that same file (device and inode) when there is one, else
    /// a new one. The caller disposes the lease when its response is done, and the lookup as ever.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing is there any more.</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    /// <exception cref="NotRegularFileException">It is no longer a regular file.</exception>
    /// <exception cref="IOException">No descriptor could be opened (EMFILE), or another failure not the client's.</exception>
    public Lease Open(IFileRoot root, in FileLookup found) => Open(root, found, held: null);

    /// <summary>
    /// Takes hold of the file cached for <paramref name="relativePath"/>, if any, before the path is looked up: a
    /// lookup made while that file is held open that finds the same device and inode has found that very file (its
    /// inode number cannot have been given to another), so <see cref="Open(IFileRoot, in FileLookup, Entry)"/> can use
    /// it without asking the file system again. Pass the result to that method, or to <see cref="Let"/>.
    /// </summary>
    public Entry? Hold(string relativePath)
    {
        if (_capacity == 0)
        {
            return null;
        }
        lock (_gate)
        {
            if (!_byPath.TryGetValue(relativePath, out var entry))
            {
                return null;
            }
            entry.Retain();
            return entry;
        }
    }

    /// <summary>Lets go of what <see cref="Hold"/> took, when the lookup found no file to open.</summary>
    public static void Let(Entry? held) => held?.Release();

    /// <summary>
    /// As <see cref="Open(IFileRoot, in FileLookup)"/>, with the file <see cref="Hold"/> took before the lookup: used
    /// when the lookup found the same device and inode, let go otherwise.
    /// </summary>
    public Lease Open(IFileRoot root, in FileLookup found, Entry? held)
    {
        var status = found.Status;
        if (held is not null)
        {
            if (held.Identity == status.Identity)
            {
                lock (_gate)
                {
                    Touch(held, _clock.GetTimestamp());
                }
                Interlocked.Increment(ref _hits);
                return new Lease(held.File, status, held);
            }
            held.Release();
        }
        if (_capacity == 0 || !status.Identity.IsKnown)
        {
            Interlocked.Increment(ref _misses);
            var own = root.Open(found);
            return new Lease(own, own.Status, null);
        }
        var now = _clock.GetTimestamp();
        Entry? stale = null;
        Entry? hit = null;
        lock (_gate)
        {
            if (_entries.TryGetValue(status.Identity, out var cached))
            {
                // The cache's own reference keeps the count above zero here, so taking one cannot revive a closed file.
                cached.Retain();
                Touch(cached, now);
                hit = cached;
            }
            else if (_byPath.TryGetValue(found.RelativePath, out stale))
            {
                // The name leads to another file now (replaced by a rename): its old descriptor is of no more use.
                Unlink(stale);
            }
        }
        stale?.Release();
        if (hit is not null)
        {
            // The lookup's numbers were read before the cache held anything: the file they named may have been
            // deleted since and its inode number given to another file, the one cached. Asked again now, with the
            // cached file held open, equal numbers are the same file.
            if (root.StillNames(found, hit.Identity))
            {
                Interlocked.Increment(ref _hits);
                return new Lease(hit.File, status, hit);
            }
            hit.Release();
        }

        // The file opened may be another than the one looked up (its name replaced meanwhile): it is cached as what it is.
        Interlocked.Increment(ref _misses);
        var file = root.Open(found);
        var identity = file.Status.Identity;
        var entry = new Entry(identity, found.RelativePath, file, now);
        Entry? replaced = null;
        Entry? evicted = null;
        lock (_gate)
        {
            if (_disposed)
            {
                // Stopping: serve this response from the descriptor, then close it with the lease.
                entry.Release();
                return new Lease(file, file.Status, entry);
            }
            // Another request may have opened the same file meanwhile: the newer descriptor wins.
            if (_entries.TryGetValue(identity, out replaced))
            {
                Unlink(replaced);
            }
            _entries.Add(identity, entry);
            _byPath[found.RelativePath] = entry;
            _recency.AddFirst(entry.Node);
            if (!_sweeping)
            {
                _sweeping = true;
                _sweeper!.Change(_inactiveTime, _inactiveTime);
            }
            if (_entries.Count > _capacity)
            {
                evicted = _recency.Last!.Value;
                Unlink(evicted);
            }
        }
        replaced?.Release();
        evicted?.Release();
        return new Lease(file, file.Status, entry);
    }

    /// <summary>Closes every cached file nobody has asked for in the last <c>inactiveTime</c>.</summary>
    internal void Sweep()
    {
        var now = _clock.GetTimestamp();
        List<Entry>? expired = null;
        lock (_gate)
        {
            while (_recency.Last is { } oldest && _clock.GetElapsedTime(oldest.Value.LastUsed, now) >= _inactiveTime)
            {
                Unlink(oldest.Value);
                (expired ??= []).Add(oldest.Value);
            }
            if (_entries.Count == 0 && _sweeping)
            {
                // Nothing left to age out: no more wake-ups until a file is cached again.
                _sweeping = false;
                _sweeper!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
        expired?.ForEach(static e => e.Release());
    }

    /// <summary>Stops the sweep and closes every cached file not in use; files in use close when their lease ends.</summary>
    public void Dispose()
    {
        _sweeper?.Dispose();
        List<Entry> all;
        lock (_gate)
        {
            _disposed = true;
            all = [.. _entries.Values];
            _entries.Clear();
            _byPath.Clear();
            _recency.Clear();
        }
        all.ForEach(static e => e.Release());
    }

    private void Touch(Entry entry, long now)
    {
        entry.LastUsed = now;
        if (entry.Node != _recency.First)
        {
            _recency.Remove(entry.Node);
            _recency.AddFirst(entry.Node);
        }
    }

    private void Unlink(Entry entry)
    {
        _entries.Remove(entry.Identity);
        if (_byPath.TryGetValue(entry.Path, out var byPath) && byPath == entry)
        {
            _byPath.Remove(entry.Path);
        }
        _recency.Remove(entry.Node);
    }
}
