using FileServer.Platform;

namespace FileServer.Serving;

/// <summary>What a request path leads to.</summary>
internal enum PathResolutionKind
{
    /// <summary>A regular file to serve, found by <see cref="PathResolution.File"/>.</summary>
    File,
    /// <summary>A directory without an index file, to list: <see cref="PathResolution.File"/> is its lookup.</summary>
    Directory,
    /// <summary>A directory asked for without its trailing slash: redirect to <see cref="PathResolution.Location"/>.</summary>
    Redirect,
    /// <summary>The path is malformed or hostile (400).</summary>
    BadRequest,
    /// <summary>Nothing servable is there, or it is hidden (404).</summary>
    NotFound,
    /// <summary>Something is there that is never served, e.g. a FIFO or device (403).</summary>
    Forbidden,
}

/// <summary>The outcome of mapping a request path onto the served directory.</summary>
/// <param name="Kind">What the path leads to.</param>
/// <param name="File">The lookup that found the file (or the directory, for <see cref="PathResolutionKind.Directory"/>): the caller disposes it.</param>
/// <param name="Location">The redirect target, for <see cref="PathResolutionKind.Redirect"/>.</param>
/// <param name="Reason">A short reason, for the error kinds.</param>
/// <param name="Held">The open-file cache's file for the path, taken before the lookup, for <see cref="PathResolutionKind.File"/>.</param>
internal readonly record struct PathResolution(PathResolutionKind Kind, FileLookup File = default, string? Location = null, string? Reason = null, OpenFileCache.Entry? Held = null)
{
    /// <summary>A 404 with <paramref name="reason"/>.</summary>
    public static PathResolution NotFound(string reason) => new(PathResolutionKind.NotFound, Reason: reason);
}
