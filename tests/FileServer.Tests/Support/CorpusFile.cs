using System.Globalization;
using System.Text;

namespace FileServer.Tests.Support;

/// <summary>One case of a corpus file: its line number, its expected outcome, and the bytes to send.</summary>
public sealed record CorpusCase(int Line, string Expected, byte[] Bytes);

/// <summary>
/// Reads the corpora in tests/FileServer.Tests/Corpora: tab-separated lines of an expected outcome and an input
/// written with the escapes \r \n \t \\ and \xHH (one byte), every other character standing for its UTF-8 bytes;
/// '#' starts a comment line. Shared by the corpus tests and the fuzzer's seeds.
/// </summary>
public static class CorpusFile
{
    public static IEnumerable<CorpusCase> Read(string path)
    {
        var lines = File.ReadAllLines(path, Encoding.UTF8);
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0 || lines[i].StartsWith('#'))
            {
                continue;
            }
            var tab = lines[i].IndexOf('\t', StringComparison.Ordinal);
            if (tab < 0)
            {
                throw new FormatException($"{path}:{i + 1}: no tab between the outcome and the input");
            }
            yield return new CorpusCase(i + 1, lines[i][..tab], Unescape(lines[i][(tab + 1)..]));
        }
    }

    private static byte[] Unescape(string text)
    {
        var bytes = new List<byte>(text.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                var next = text[++i];
                switch (next)
                {
                    case 'r': bytes.Add((byte)'\r'); continue;
                    case 'n': bytes.Add((byte)'\n'); continue;
                    case 't': bytes.Add((byte)'\t'); continue;
                    case '\\': bytes.Add((byte)'\\'); continue;
                    case 'x':
                        bytes.Add(byte.Parse(text.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        i += 2;
                        continue;
                    default: throw new FormatException($"unknown escape \\{next}");
                }
            }
            var rune = Rune.GetRuneAt(text, i);
            var length = rune.EncodeToUtf8(utf8);
            bytes.AddRange(utf8[..length]);
            i += rune.Utf16SequenceLength - 1;
        }
        return [.. bytes];
    }
}
