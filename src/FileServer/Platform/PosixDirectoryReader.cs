using System.Runtime.InteropServices;
using System.Text;
using Mono.Unix.Native;

namespace FileServer.Platform;

/// <summary>
/// Reads a directory found beneath the root by its descriptor (<c>fdopendir</c>, <c>readdir64</c>) and stats each
/// name in it with <c>statx</c> relative to that descriptor, never by a path from <c>/</c>: the names listed are the
/// bytes on disk, so a name that is not valid UTF-8 keeps them for its link.
/// </summary>
internal static unsafe class PosixDirectoryReader
{
    // struct dirent64 (glibc, every 64-bit architecture): d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name.
    private const int NameOffset = 19;
    private const byte TypeDirectory = 4;
    private const byte TypeRegular = 8;
    private const byte TypeLink = 10;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Lists the directory open as <paramref name="directory"/> (readable, not <c>O_PATH</c>; taken over and closed
    /// here). <paramref name="followLink"/> gets a link's name and returns what it leads to beneath the root, or null.
    /// </summary>
    public static List<DirectoryEntry> Read(int directory, Func<string, FileStatus?> followLink)
    {
        var stream = LibC.fdopendir(directory);
        if (stream == 0)
        {
            var error = LinuxFileCalls.LastError;
            LinuxFileCalls.Close(directory);
            throw Failure(error);
        }
        var entries = new List<DirectoryEntry>();
        try
        {
            while (true)
            {
                var dirent = (byte*)LibC.readdir(stream);
                if (dirent is null)
                {
                    // NULL is the end, or an error: errno tells them apart (the generated stub clears it before the call).
                    if (Marshal.GetLastPInvokeError() != 0)
                    {
                        throw Failure(LinuxFileCalls.LastError);
                    }
                    break;
                }
                var name = new ReadOnlySpan<byte>(dirent + NameOffset, int.MaxValue);
                name = name[..(name.IndexOf((byte)0) + 1)];
                var bare = name[..^1];
                if (bare.SequenceEqual("."u8) || bare.SequenceEqual(".."u8))
                {
                    continue;
                }
                if (Describe(directory, name, dirent[NameOffset - 1], followLink) is { } entry)
                {
                    entries.Add(entry);
                }
            }
        }
        finally
        {
            // closedir closes the descriptor fdopendir took over.
            _ = LibC.closedir(stream);
        }
        return entries;
    }

    private static DirectoryEntry? Describe(int directory, ReadOnlySpan<byte> name, byte type, Func<string, FileStatus?> followLink)
    {
        var bare = name[..^1];
        string text;
        byte[]? raw = null;
        try
        {
            text = StrictUtf8.GetString(bare);
        }
        catch (DecoderFallbackException)
        {
            text = Encoding.UTF8.GetString(bare);
            raw = bare.ToArray();
        }
        if (!LinuxFileCalls.TryStatAt(directory, name, LinuxFileCalls.AtSymlinkNoFollow, out var status))
        {
            // Not ours to stat, or gone since readdir: listed by name and the kind readdir gave, never a failure of
            // the whole listing.
            return type switch
            {
                TypeRegular => new DirectoryEntry(text, raw, FileKind.Regular, -1, 0),
                TypeDirectory => new DirectoryEntry(text, raw, FileKind.Directory, -1, 0),
                _ => null,
            };
        }
        var isLink = status.Kind == FileKind.SymbolicLink;
        if (isLink)
        {
            // Listed only where a download would follow it: beneath the root, by a name the path layer can carry.
            if (raw is not null || followLink(text) is not { } target)
            {
                return null;
            }
            status = target;
        }
        return status.Kind is FileKind.Regular or FileKind.Directory
            ? new DirectoryEntry(text, raw, status.Kind, status.Length, status.ModifiedUnixNanoseconds, isLink)
            : null;
    }

    /// <summary>The exception for a directory that cannot be opened or read.</summary>
    public static Exception Failure(Errno error) => error switch
    {
        Errno.EACCES or Errno.EPERM => new UnauthorizedAccessException($"list: {error}"),
        _ => new IOException($"list: {error}", NativeConvert.FromErrno(error)),
    };
}
