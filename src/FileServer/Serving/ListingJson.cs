using System.Buffers;
using System.Text.Json;
using FileServer.Platform;

namespace FileServer.Serving;

/// <summary>
/// A listing as JSON: <c>{"path": "/a/", "entries": [{"name", "type", "size", "mtime", "href"}]}</c>, in the
/// listing's order; <c>type</c> is <c>"file"</c> or <c>"directory"</c>, <c>mtime</c> RFC 3339 in UTC, and
/// <c>size</c>/<c>mtime</c> null for an entry that could not be stat'ed (a directory's size is null too).
/// </summary>
internal static class ListingJson
{
    /// <summary>Renders the listing of the directory at <paramref name="path"/> (its decoded names) into <paramref name="output"/>.</summary>
    public static void Render(IReadOnlyList<string> path, List<DirectoryEntry> entries, IBufferWriter<byte> output)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("path", "/" + string.Concat(path.Select(p => p + "/")));
        json.WriteStartArray("entries");
        foreach (var entry in entries)
        {
            json.WriteStartObject();
            json.WriteString("name", entry.Name);
            json.WriteString("type", entry.IsDirectory ? "directory" : "file");
            if (entry.HasStatus && !entry.IsDirectory)
            {
                json.WriteNumber("size", entry.Length);
            }
            else
            {
                json.WriteNull("size");
            }
            if (entry.HasStatus)
            {
                json.WriteString("mtime", ListingText.Rfc3339(entry.ModifiedUnixNanoseconds));
            }
            else
            {
                json.WriteNull("mtime");
            }
            json.WriteString("href", ListingText.Href(entry));
            json.WriteEndObject();
            if (json.BytesPending > 16 * 1024)
            {
                json.Flush();
            }
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
