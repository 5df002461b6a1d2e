namespace FileServer.Serving;

/// <summary>
/// Maps a file name's extension to a media type: a built-in table of common types, the extensions of a system
/// <c>mime.types</c> file that the table lacks, then the user's overrides (<c>--mime ext=type</c>) over both. Text
/// types carry <c>charset=utf-8</c> unless they name a charset.
/// </summary>
internal sealed class ContentTypeMap
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

    /// <summary>The built-in table alone.</summary>
    public ContentTypeMap()
    {
    }

    /// <summary>
    /// The built-in table, plus the extensions of <paramref name="mimeTypesFile"/> (the <c>mime.types</c> format:
    /// a type, then its extensions; <c>#</c> comments) that it lacks, with <paramref name="overrides"/>
    /// (extension, with or without its dot, to type) over both. A missing file adds nothing.
    /// </summary>
    /// <exception cref="ArgumentException">An override's extension or type is empty or malformed.</exception>
    public ContentTypeMap(string? mimeTypesFile, IEnumerable<KeyValuePair<string, string>> overrides)
    {
        if (mimeTypesFile is not null && File.Exists(mimeTypesFile))
        {
            foreach (var line in File.ReadLines(mimeTypesFile))
            {
                var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 2 || fields[0].StartsWith('#') || !fields[0].Contains('/', StringComparison.Ordinal))
                {
                    continue;
                }
                foreach (var extension in fields.Skip(1))
                {
                    _types.TryAdd("." + extension, WithCharset(fields[0]));
                }
            }
        }
        foreach (var (extension, type) in overrides)
        {
            var bare = extension.TrimStart('.');
            if (bare.Length == 0 || bare.Contains('/', StringComparison.Ordinal) || !IsMediaType(type))
            {
                throw new ArgumentException($"--mime {extension}={type}: expected EXT=TYPE/SUBTYPE, e.g. md=text/markdown");
            }
            _types["." + bare] = WithCharset(type.Trim());
        }
    }

    // A text type without a charset is read as UTF-8 here, and said so: a browser would otherwise guess.
    private static string WithCharset(string type) =>
        type.StartsWith("text/", StringComparison.OrdinalIgnoreCase) && !type.Contains("charset", StringComparison.OrdinalIgnoreCase)
            ? type + "; charset=utf-8"
            : type;

    private static bool IsMediaType(string type)
    {
        var slash = type.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && slash < type.Length - 1 && !type.Any(c => char.IsControl(c) || c > 0x7e);
    }

    /// <summary>The media type for <paramref name="fileName"/>, or <see cref="Fallback"/>.</summary>
    public string Lookup(string fileName)
    {
        // A span lookup: no extension string is allocated per request.
        var extension = Path.GetExtension(fileName.AsSpan());
        return extension.Length > 0 && _types.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(extension, out var type) ? type : Fallback;
    }
}
