using System.Security.Cryptography;
using System.Text;
using FileServer.Http;
using FileServer.Platform;

namespace FileServer.Serving;

/// <summary>One member of a planned archive, and where its header starts in the archive's bytes.</summary>
/// <param name="Name">Its name in the archive (a directory's ends with <c>/</c>).</param>
/// <param name="RelativePath">Its path beneath the served root, to open it again when its bytes are sent.</param>
/// <param name="Size">Its size (0 for a directory).</param>
/// <param name="ModifiedUnixNanoseconds">Its modification time, as planned.</param>
/// <param name="IsDirectory">Whether it is a directory (a header only).</param>
/// <param name="Offset">Where its header starts.</param>
/// <param name="HeaderLength">Its header's length (more than one block with a pax header).</param>
internal readonly record struct TarMember(string Name, string RelativePath, long Size, long ModifiedUnixNanoseconds, bool IsDirectory, long Offset, int HeaderLength)
{
    /// <summary>Where its data starts.</summary>
    public long DataOffset => Offset + HeaderLength;

    /// <summary>Where the next member starts (after data and padding).</summary>
    public long End => DataOffset + Size + TarHeader.Padding(Size);
}

/// <summary>
/// The archive of a directory tree, planned before its first byte: every member with its offset, the exact length
/// (so clients show progress), and a strong ETag from the tree's (name, size, mtime) list, so a range of the same
/// plan is the same bytes and <c>If-Range</c> resumes a folder download while the tree is unchanged. The walk
/// follows the listing's rules (dotfiles, links beneath the root only) and descends into real directories only, so a
/// link cannot make it loop.
/// </summary>
internal sealed class TarPlan
{
    /// <summary>The two zero blocks that end an archive.</summary>
    public const int TrailerLength = 2 * TarHeader.Block;

    private TarPlan(List<TarMember> members, long length, EntityTag etag)
    {
        Members = members;
        Length = length;
        ETag = etag;
    }

    /// <summary>The members in archive order.</summary>
    public IReadOnlyList<TarMember> Members { get; }

    /// <summary>The archive's length in bytes.</summary>
    public long Length { get; }

    /// <summary>The archive's strong validator.</summary>
    public EntityTag ETag { get; }

    /// <summary>Plans the archive of the directory <paramref name="directory"/> (disposed by the caller), named <paramref name="baseName"/>/ inside.</summary>
    /// <exception cref="IOException">A directory could not be read for a reason not the client's.</exception>
    /// <exception cref="UnauthorizedAccessException">The top directory may not be read.</exception>
    public static TarPlan Create(IFileRoot root, in FileLookup directory, string baseName, bool showDotfiles)
    {
        var members = new List<TarMember>();
        long offset = 0;
        void Add(string name, string path, long size, long mtime, bool isDirectory)
        {
            var header = TarHeader.Length(name, size);
            var member = new TarMember(name, path, size, mtime, isDirectory, offset, header);
            members.Add(member);
            offset = member.End;
        }

        Add(baseName + "/", directory.RelativePath, 0, directory.Status.ModifiedUnixNanoseconds, isDirectory: true);
        Walk(root, root.List(directory), directory.RelativePath, baseName + "/", showDotfiles, Add);
        var length = offset + TrailerLength;

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var member in members)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{member.Name}\0{member.Size}\0{member.ModifiedUnixNanoseconds}\n"));
        }
        var etag = new EntityTag($"\"tar-{Convert.ToHexStringLower(hash.GetHashAndReset().AsSpan(0, 12))}\"", IsWeak: false);
        return new TarPlan(members, length, etag);
    }

    private static void Walk(IFileRoot root, IReadOnlyList<DirectoryEntry> entries, string path, string name, bool showDotfiles, Action<string, string, long, long, bool> add)
    {
        // Name order, so the same tree always makes the same bytes.
        foreach (var entry in entries.Where(e => e.HasStatus && e.RawName is null && (showDotfiles || !e.Name.StartsWith('.')))
                     .OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var childPath = path.Length == 0 ? entry.Name : path + "/" + entry.Name;
            if (!entry.IsDirectory)
            {
                add(name + entry.Name, childPath, entry.Length, entry.ModifiedUnixNanoseconds, false);
            }
            else if (!entry.IsLink)
            {
                add(name + entry.Name + "/", childPath, 0, entry.ModifiedUnixNanoseconds, true);
                using var child = root.Find(childPath);
                if (child.Outcome == LookupOutcome.Found && child.Status.Kind == FileKind.Directory)
                {
                    IReadOnlyList<DirectoryEntry> inner;
                    try
                    {
                        inner = root.List(child);
                    }
                    catch (UnauthorizedAccessException)
                    {
                        // A directory nobody may read is archived empty, as a listing would show nothing in it.
                        continue;
                    }
                    Walk(root, inner, childPath, name + entry.Name + "/", showDotfiles, add);
                }
            }
        }
    }
}
