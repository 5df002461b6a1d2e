namespace FileServer.Serving;

/// <summary>
/// Maps a file name's extension to a media type: a built-in table of common types, with later additions
/// (e.g. <c>/etc/mime.types</c> or command-line overrides) taking precedence.
/// </summary>
public sealed class ContentTypeMap
{
    /// <summary>The type for unknown extensions: bytes, nothing more (RFC 9110 §8.3).</summary>
    public const string Fallback = "application/octet-stream";

    private readonly Dictionary<string, string> _types = new(StringComparer.OrdinalIgnoreCase)
    {
        // Text types we generate ourselves carry charset=utf-8, as Go's net/http does for its built-ins.
        [".html"] = "text/html; charset=utf-8",
        [".htm"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".mjs"] = "text/javascript; charset=utf-8",
        [".json"] = "application/json",
        [".txt"] = "text/plain; charset=utf-8",
        [".md"] = "text/markdown; charset=utf-8",
        [".csv"] = "text/csv; charset=utf-8",
        [".xml"] = "application/xml",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
        [".gif"] = "image/gif",
        [".webp"] = "image/webp",
        [".avif"] = "image/avif",
        [".ico"] = "image/vnd.microsoft.icon",
        [".bmp"] = "image/bmp",
        [".woff"] = "font/woff",
        [".woff2"] = "font/woff2",
        [".ttf"] = "font/ttf",
        [".otf"] = "font/otf",
        [".wasm"] = "application/wasm",
        [".pdf"] = "application/pdf",
        [".zip"] = "application/zip",
        [".gz"] = "application/gzip",
        [".tgz"] = "application/gzip",
        [".bz2"] = "application/x-bzip2",
        [".xz"] = "application/x-xz",
        [".zst"] = "application/zstd",
        [".tar"] = "application/x-tar",
        [".7z"] = "application/x-7z-compressed",
        [".iso"] = "application/x-iso9660-image",
        [".img"] = "application/octet-stream",
        [".bin"] = "application/octet-stream",
        [".deb"] = "application/vnd.debian.binary-package",
        [".rpm"] = "application/x-rpm",
        [".mp4"] = "video/mp4",
        [".m4v"] = "video/mp4",
        [".webm"] = "video/webm",
        [".mkv"] = "video/x-matroska",
        [".mov"] = "video/quicktime",
        [".mp3"] = "audio/mpeg",
        [".m4a"] = "audio/mp4",
        [".ogg"] = "audio/ogg",
        [".opus"] = "audio/opus",
        [".wav"] = "audio/wav",
        [".flac"] = "audio/flac",
    };

    /// <summary>The media type for <paramref name="fileName"/>, or <see cref="Fallback"/>.</summary>
    public string Lookup(string fileName)
    {
        // A span lookup: no extension string is allocated per request.
        var extension = Path.GetExtension(fileName.AsSpan());
        return extension.Length > 0 && _types.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(extension, out var type) ? type : Fallback;
    }
}
