using System.Globalization;
using System.Text;

namespace FileServer.Serving;

/// <summary>
/// POSIX tar (ustar) member headers, with a pax extended header in front where ustar cannot hold the member: a
/// name that does not fit its 100 + 155 bytes or is not plain ASCII (pax <c>path</c> is UTF-8 by definition), or a
/// size of 8 GiB or more (the 11 octal digits of <c>size</c> end there). Every header is a whole number of 512-byte
/// blocks, and its length is known before it is rendered, so an archive's exact length can be computed first.
/// </summary>
internal static class TarHeader
{
    /// <summary>The block size of tar.</summary>
    public const int Block = 512;

    private const long MaxOctalSize = (1L << 33) - 1;

    /// <summary>The bytes of padding after <paramref name="size"/> bytes of member data.</summary>
    public static int Padding(long size) => (int)((Block - size % Block) % Block);

    /// <summary>The length of the header(s) <see cref="Render"/> writes for this member.</summary>
    public static int Length(string name, long size)
    {
        var pax = PaxRecords(name, size);
        return pax is null ? Block : Block + Block + RoundUp(Encoding.UTF8.GetByteCount(pax));
    }

    /// <summary>The header(s) of a member: a regular file of <paramref name="size"/> bytes, or a directory (its name ends with <c>/</c>).</summary>
    public static byte[] Render(string name, long size, long modifiedUnixSeconds, bool isDirectory)
    {
        var pax = PaxRecords(name, size);
        var header = new byte[Length(name, size)];
        var at = 0;
        if (pax is not null)
        {
            var records = Encoding.UTF8.GetBytes(pax);
            WriteUstar(header.AsSpan(0, Block), "PaxHeaders/" + AsciiOnly(LastName(name)), records.Length, modifiedUnixSeconds, 'x');
            records.CopyTo(header.AsSpan(Block));
            at = Block + RoundUp(records.Length);
        }
        var (prefix, last) = Split(name) ?? ("", AsciiOnly(LastName(name)));
        WriteUstar(header.AsSpan(at, Block), last, size > MaxOctalSize ? 0 : size, modifiedUnixSeconds, isDirectory ? '5' : '0', prefix, isDirectory ? "0000755" : "0000644");
        return header;
    }

    // pax records (POSIX.1-2001 §pax): "LEN key=value\n", LEN counting itself.
    private static string? PaxRecords(string name, long size)
    {
        var records = new StringBuilder();
        if (Split(name) is null)
        {
            records.Append(Record("path", name));
        }
        if (size > MaxOctalSize)
        {
            records.Append(Record("size", size.ToString(CultureInfo.InvariantCulture)));
        }
        return records.Length == 0 ? null : records.ToString();
    }

    private static string Record(string key, string value)
    {
        var body = $" {key}={value}\n";
        var bytes = Encoding.UTF8.GetByteCount(body);
        var length = bytes + 1;
        while (length.ToString(CultureInfo.InvariantCulture).Length + bytes != length)
        {
            length++;
        }
        return length.ToString(CultureInfo.InvariantCulture) + body;
    }

    // The ustar name and prefix for name, or null when it needs pax: ASCII only, name ≤ 100 bytes, prefix ≤ 155.
    private static (string Prefix, string Name)? Split(string name)
    {
        if (!System.Text.Ascii.IsValid(name) || name.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }
        if (name.Length <= 100)
        {
            return ("", name);
        }
        // The prefix ends at a slash; the name after it keeps a directory's trailing slash.
        for (var slash = name.IndexOf('/', StringComparison.Ordinal); slash >= 0 && slash < name.Length - 1; slash = name.IndexOf('/', slash + 1))
        {
            if (slash <= 155 && name.Length - slash - 1 <= 100)
            {
                return (name[..slash], name[(slash + 1)..]);
            }
        }
        return null;
    }

    private static void WriteUstar(Span<byte> block, string name, long size, long mtime, char type, string prefix = "", string mode = "0000644")
    {
        block.Clear();
        AsciiField(block[..100], name);
        AsciiField(block[100..108], mode);
        AsciiField(block[108..116], "0000000");
        AsciiField(block[116..124], "0000000");
        AsciiField(block[124..136], Convert.ToString(size, 8).PadLeft(11, '0'));
        AsciiField(block[136..148], Convert.ToString(Math.Max(0, mtime), 8).PadLeft(11, '0'));
        block[156] = (byte)type;
        AsciiField(block[257..263], "ustar");
        AsciiField(block[263..265], "00");
        AsciiField(block[345..500], prefix);
        // The checksum is the sum of the header's bytes with its own field read as spaces.
        block[148..156].Fill((byte)' ');
        var sum = 0;
        foreach (var b in block)
        {
            sum += b;
        }
        AsciiField(block[148..155], Convert.ToString(sum, 8).PadLeft(6, '0') + "\0");
    }

    private static void AsciiField(Span<byte> field, string text) => Encoding.ASCII.GetBytes(text.AsSpan(0, Math.Min(text.Length, field.Length)), field);

    private static string LastName(string name)
    {
        var trimmed = name.TrimEnd('/');
        var last = trimmed[(trimmed.LastIndexOf('/') + 1)..];
        var shortened = last.Length > 90 ? last[..90] : last;
        return name.EndsWith('/') ? shortened + "/" : shortened;
    }

    private static string AsciiOnly(string text) => string.Concat(text.Select(c => c is >= ' ' and <= '~' ? c : '_'));

    private static int RoundUp(int length) => (length + Block - 1) / Block * Block;
}
