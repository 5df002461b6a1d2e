using System.Globalization;
using FileServer.Http;

namespace FileServer.Serving;

/// <summary>
/// The header strings derived from a file's size and modification time alone (<c>ETag</c>, <c>Last-Modified</c>,
/// <c>Content-Length</c> of the whole file), cached so that serving the same files again formats nothing. A small
/// direct-mapped table of immutable entries: a collision just replaces the entry, a lookup never locks.
/// </summary>
internal sealed class ValidatorCache
{
    private const int Size = 256;
    private readonly Entry?[] _entries = new Entry?[Size];

    /// <summary>The strings for a file of <paramref name="length"/> bytes modified at <paramref name="modifiedUnixNanoseconds"/>.</summary>
    public Entry Get(long length, long modifiedUnixNanoseconds, DateTimeOffset modified)
    {
        var slot = (int)((ulong)HashCode.Combine(length, modifiedUnixNanoseconds) % Size);
        var entry = Volatile.Read(ref _entries[slot]);
        if (entry is not null && entry.Length == length && entry.ModifiedUnixNanoseconds == modifiedUnixNanoseconds)
        {
            return entry;
        }
        entry = Describe(length, modifiedUnixNanoseconds, modified);
        Volatile.Write(ref _entries[slot], entry);
        return entry;
    }

    /// <summary>
    /// The strings for one response, not cached: for a file whose Last-Modified is not its modification time
    /// (<paramref name="lastModified"/>, e.g. the response's Date for a time in the future).
    /// </summary>
    public static Entry Describe(long length, long modifiedUnixNanoseconds, DateTimeOffset lastModified) =>
        new(length, modifiedUnixNanoseconds, EntityTag.ForFile(length, modifiedUnixNanoseconds),
            HttpDate.Format(lastModified), length.ToString(CultureInfo.InvariantCulture));

    /// <summary>One file's cached strings.</summary>
    public sealed record Entry(long Length, long ModifiedUnixNanoseconds, EntityTag ETag, string LastModified, string ContentLength);
}
