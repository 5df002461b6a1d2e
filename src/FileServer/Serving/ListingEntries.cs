using FileServer.Platform;

namespace FileServer.Serving;

/// <summary>
/// The entries a listing shows, in its order: dotfiles left out unless served, directories first, then by the
/// chosen column (ties by name), reversed on request.
/// </summary>
internal static class ListingEntries
{
    /// <summary>Filters and sorts <paramref name="entries"/> in place of a new list.</summary>
    public static List<DirectoryEntry> Arrange(IReadOnlyList<DirectoryEntry> entries, ListingQuery query, bool showDotfiles)
    {
        var shown = new List<DirectoryEntry>(entries.Count);
        foreach (var entry in entries)
        {
            if (showDotfiles || !entry.Name.StartsWith('.'))
            {
                shown.Add(entry);
            }
        }
        var direction = query.Descending ? -1 : 1;
        shown.Sort((a, b) =>
        {
            if (a.IsDirectory != b.IsDirectory)
            {
                return a.IsDirectory ? -1 : 1;
            }
            var byColumn = query.Sort switch
            {
                ListingSort.Size => a.Length.CompareTo(b.Length),
                ListingSort.Time => a.ModifiedUnixNanoseconds.CompareTo(b.ModifiedUnixNanoseconds),
                _ => 0,
            };
            return direction * (byColumn != 0 ? byColumn : ByName(a.Name, b.Name));
        });
        return shown;
    }

    // Case-insensitive first so "b" sits beside "B", then ordinal so the order is total and the same everywhere.
    private static int ByName(string a, string b)
    {
        var folded = string.Compare(a, b, StringComparison.OrdinalIgnoreCase);
        return folded != 0 ? folded : string.CompareOrdinal(a, b);
    }
}
