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
internal sealed class BeneathRootWalk(int root, string rootRealPath)
{
    // Linux's own limit on links followed in one lookup (MAXSYMLINKS).
    private const int MaxLinks = 40;

    private readonly int _pathFlags = LinuxFileCalls.OPath | LinuxFileCalls.Native(OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC);

    /// <summary>
    /// Finds <paramref name="relativePath"/>: an <c>O_PATH</c> descriptor of the entry (a link at the end followed)
    /// that the caller closes, or -1 with the errno that ended the walk (EXDEV for a link that leaves the root).
    /// </summary>
    public int Find(string relativePath, out Errno error)
    {
        // Directories opened on the way, innermost last: ".." in a link's target closes the last one, so it goes
        // back exactly where this walk came from, whatever has been renamed since.
        var opened = new List<int>();
        var remaining = new LinkedList<string>(relativePath.Split('/'));
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
                        return -1;
                    }
                    LinuxFileCalls.Close(opened[^1]);
                    opened.RemoveAt(opened.Count - 1);
                    continue;
                }
                var entry = LinuxFileCalls.OpenAt(opened.Count == 0 ? root : opened[^1], name, _pathFlags);
                if (entry < 0 || !LinuxFileCalls.TryStat(entry, out var status))
                {
                    error = LinuxFileCalls.LastError;
                    LinuxFileCalls.Close(entry);
                    return -1;
                }
                if (status.Kind == FileKind.SymbolicLink)
                {
                    var target = LinuxFileCalls.ReadLink(entry);
                    error = target is null ? LinuxFileCalls.LastError : 0;
                    LinuxFileCalls.Close(entry);
                    if (target is null)
                    {
                        return -1;
                    }
                    if (++links > MaxLinks)
                    {
                        error = Errno.ELOOP;
                        return -1;
                    }
                    if (!Continue(target, remaining, opened))
                    {
                        error = Errno.EXDEV;
                        return -1;
                    }
                    continue;
                }
                if (remaining.Count == 0)
                {
                    return entry;
                }
                if (status.Kind != FileKind.Directory)
                {
                    // "file/" or "file/x", as a link's target may say.
                    LinuxFileCalls.Close(entry);
                    error = Errno.ENOTDIR;
                    return -1;
                }
                opened.Add(entry);
            }
            // The path ended in "/", "." or ".." (a link's target may): the directory reached.
            var self = LinuxFileCalls.OpenAt(opened.Count == 0 ? root : opened[^1], ".", _pathFlags);
            error = self < 0 ? LinuxFileCalls.LastError : 0;
            return self;
        }
        finally
        {
            opened.ForEach(LinuxFileCalls.Close);
        }
    }

    // Puts a link's target in front of what is left to walk. An absolute target restarts from the root, when it
    // names a place inside it; false when it does not.
    private bool Continue(string target, LinkedList<string> remaining, List<int> opened)
    {
        if (target.StartsWith('/'))
        {
            if (!IsInsideRoot(target))
            {
                return false;
            }
            opened.ForEach(LinuxFileCalls.Close);
            opened.Clear();
            target = target[rootRealPath.Length..];
        }
        var names = target.Split('/');
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
}
