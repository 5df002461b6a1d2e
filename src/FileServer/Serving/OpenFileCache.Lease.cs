using FileServer.Platform;

namespace FileServer.Serving;

// What the cache hands out: a lease on an open file, and the cached entry behind it.
internal sealed partial class OpenFileCache
{
    /// <summary>
    /// One response's hold on an open file, and the file's status for this response. Disposing ends the hold
    /// (and closes the file when nothing else holds it).
    /// </summary>
    public readonly struct Lease : IDisposable
    {
        private readonly Entry? _entry;

        internal Lease(OpenedFile file, FileStatus status, Entry? entry)
        {
            File = file;
            Status = status;
            _entry = entry;
        }

        /// <summary>The open file: read it at offsets only, other responses may be reading it too.</summary>
        public OpenedFile File { get; }

        /// <summary>Kind, size, modification time and identity of the file as this response serves it.</summary>
        public FileStatus Status { get; }

        /// <summary>
        /// The whole-file fields last rendered for this cached file (null when none were, or the file is not cached):
        /// the caller checks they still describe <see cref="Status"/> before using them.
        /// </summary>
        public RepresentationFields? RenderedFields => _entry?.RenderedFields;

        /// <summary>Keeps <paramref name="fields"/> with the cached file for the next response; nothing when not cached.</summary>
        public void RememberFields(RepresentationFields fields)
        {
            if (_entry is not null)
            {
                _entry.RenderedFields = fields;
            }
        }

        /// <inheritdoc />
        public void Dispose()
        {
            if (_entry is null)
            {
                File.Dispose();
            }
            else
            {
                _entry.Release();
            }
        }
    }

    /// <summary>
    /// A cached open file and the references to it: the cache's own while cached, and one per lease or hold. Opaque
    /// outside the cache: a path resolution carries one from <see cref="Hold"/> to <see cref="Open(IFileRoot, in FileLookup, Entry)"/>.
    /// </summary>
    public sealed class Entry
    {
        private int _references = 2;

        internal Entry(FileIdentity identity, string path, OpenedFile file, long lastUsed)
        {
            Identity = identity;
            Path = path;
            File = file;
            LastUsed = lastUsed;
            Node = new LinkedListNode<Entry>(this);
        }

        internal FileIdentity Identity { get; }

        /// <summary>The path the file was opened by (a hard link may reach it by others too).</summary>
        internal string Path { get; }

        internal OpenedFile File { get; }

        internal LinkedListNode<Entry> Node { get; }

        /// <summary>Timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the last lease; written under the cache's lock.</summary>
        internal long LastUsed { get; set; }

        // Immutable fields swapped whole: two responses racing to store them only render twice.
        internal RepresentationFields? RenderedFields { get; set; }

        internal void Retain() => Interlocked.Increment(ref _references);

        internal void Release()
        {
            if (Interlocked.Decrement(ref _references) == 0)
            {
                File.Dispose();
            }
        }
    }
}
