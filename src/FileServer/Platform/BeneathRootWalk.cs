using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace FileServer.Platform;

/// <summary>
/// Looks a path up beneath a root descriptor one name at a time, each with <c>openat(parent, name, O_PATH |
/// O_NOFOLLOW)</c>, so no name is ever resolved twice and a link swapped in is seen as a link. A link is read
/// (<c>readlinkat</c>) and its target walked in turn: relative targets from the directory holding the link, with
/// <c>..</c> stepping back to a directory this walk itself opened; absolute ones from the root when they name
/// something inside it. A target that leaves the root ends the walk with nothing found.
/// </summary>
/// <remarks>
/// The fallback where the kernel has no <c>openat2</c>, and the way through absolute links that point back into
/// the root (which <c>RESOLVE_BENEATH</c> refuses outright).
/// </remarks>
internal sealed class BeneathRootWalk(SafeFileHandle root, string rootRealPath)
{
    // Linux's own limit on links followed in one lookup (MAXSYMLINKS).
    private const int MaxLinks = 40;

    /// <summary>
    /// Finds <paramref name="relativePath"/>: an <c>O_PATH</c> descriptor of the entry (a link at the end followed),
    /// or null with the errno that ended the walk (EXDEV for a link that leaves the root).
    /// </summary>
    public SafeFileHandle? Find(string relativePath, out Errno error)
    {
        var pathFlags = LinuxFileCalls.OPath | LinuxFileCalls.Native(OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC);
        // Directories opened on the way, innermost last: ".." in a link's target closes the last one, so it goes
        // back exactly where this walk came from, whatever has been renamed since.
        var opened = new List<SafeFileHandle>();
        var remaining = new LinkedList<string>(Names(relativePath));
        var links = 0;
        error = 0;
        try
        {
            while (remaining.First is { } first)
            {
                var name = first.Value;
                remaining.RemoveFirst();
                if (name is "" or ".")
                {
                    continue;
                }
                if (name == "..")
                {
                    if (opened.Count == 0)
                    {
                        error = Errno.EXDEV;
                        return null;
                    }
                    opened[^1].Dispose();
                    opened.RemoveAt(opened.Count - 1);
                    continue;
                }
                var parent = opened.Count == 0 ? root : opened[^1];
                var descriptor = LinuxFileCalls.OpenAt(parent, name, pathFlags);
                if (descriptor < 0)
                {
                    error = LinuxFileCalls.LastError;
                    return null;
                }
                var entry = LinuxFileCalls.Own(descriptor);
                if (!LinuxFileCalls.TryGetStatus(entry, out var stat))
                {
                    error = LinuxFileCalls.LastError;
                    entry.Dispose();
                    return null;
                }
                var kind = stat.st_mode & FilePermissions.S_IFMT;
                if (kind == FilePermissions.S_IFLNK)
                {
                    var target = LinuxFileCalls.ReadLink(entry);
                    entry.Dispose();
                    if (target is null || ++links > MaxLinks)
                    {
                        error = target is null ? LinuxFileCalls.LastError : Errno.ELOOP;
                        return null;
                    }
                    if (!Continue(target, remaining, opened))
                    {
                        error = Errno.EXDEV;
                        return null;
                    }
                    continue;
                }
                if (remaining.Count == 0)
                {
                    return entry;
                }
                if (kind != FilePermissions.S_IFDIR)
                {
                    // "file/" or "file/x", as a link's target may say.
                    entry.Dispose();
                    error = Errno.ENOTDIR;
                    return null;
                }
                opened.Add(entry);
            }
            // The path ended in "/", "." or ".." (a link's target may): the directory reached.
            var self = LinuxFileCalls.OpenAt(opened.Count == 0 ? root : opened[^1], ".", pathFlags);
            if (self < 0)
            {
                error = LinuxFileCalls.LastError;
                return null;
            }
            return LinuxFileCalls.Own(self);
        }
        finally
        {
            opened.ForEach(static d => d.Dispose());
        }
    }

    // Puts a link's target in front of what is left to walk. An absolute target restarts from the root, when it
    // names a place inside it; false when it does not.
    private bool Continue(string target, LinkedList<string> remaining, List<SafeFileHandle> opened)
    {
        var names = Names(target);
        if (target.StartsWith('/'))
        {
            if (!IsInsideRoot(target))
            {
                return false;
            }
            opened.ForEach(static d => d.Dispose());
            opened.Clear();
            names = Names(target[rootRealPath.Length..]);
        }
        for (var i = names.Length - 1; i >= 0; i--)
        {
            remaining.AddFirst(names[i]);
        }
        return true;
    }

    private bool IsInsideRoot(string absolute) =>
        rootRealPath == "/" ||
        (absolute.StartsWith(rootRealPath, StringComparison.Ordinal) &&
         (absolute.Length == rootRealPath.Length || absolute[rootRealPath.Length] == '/'));

    private static string[] Names(string path) => path.Split('/');
}
