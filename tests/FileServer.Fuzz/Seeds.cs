using System.Buffers.Binary;
using System.Text;
using FileServer.Tests.Support;

namespace FileServer.Fuzz;

/// <summary>The first inputs of each target: the test corpora where they fit, a few hand-written cases otherwise.</summary>
internal static class Seeds
{
    /// <summary>Writes the seeds of <paramref name="target"/> into <paramref name="output"/>; returns how many.</summary>
    public static int Write(string target, string corpora, string output)
    {
        Directory.CreateDirectory(output);
        var inputs = target switch
        {
            "request-head" => CorpusFile.Read(Path.Combine(corpora, "framing.tsv")).Select(c => c.Bytes)
                .Concat(CorpusFile.Read(Path.Combine(corpora, "targets.tsv")).Take(60)
                    .Select(c => (byte[])[.. "GET "u8, .. c.Bytes, .. " HTTP/1.1\r\nHost: x\r\n\r\n"u8])),
            "target" => CorpusFile.Read(Path.Combine(corpora, "targets.tsv")).Select(c => c.Bytes),
            "range" => new[] { "bytes=0-0", "bytes=-5", "bytes=5-", "bytes=0-1,3-4,2-9", "bytes= 1-2 , ,4-", "items=1-2", "bytes=9223372036854775807-" }
                .SelectMany(field => new long[] { 0, 1, 10, 1_000_000 }.Select(length => WithLength(length, field))),
            "preconditions" => new[]
            {
                "If-None-Match: \"4d2-162e\"", "If-None-Match: W/\"4d2-162e\", \"x\"", "If-Match: *", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT",
                "If-Unmodified-Since: Sunday, 06-Nov-94 08:49:37 GMT", "If-Range: \"4d2-162e\"", "If-Range: Sun Nov  6 08:49:37 1994\nIf-Match: \"a\"",
            }.Select(Encoding.Latin1.GetBytes),
            _ => [],
        };
        var count = 0;
        foreach (var input in inputs)
        {
            File.WriteAllBytes(Path.Combine(output, $"seed-{count++:D4}"), input);
        }
        return count;
    }

    private static byte[] WithLength(long length, string field)
    {
        var bytes = new byte[8 + field.Length];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, length);
        Encoding.Latin1.GetBytes(field, bytes.AsSpan(8));
        return bytes;
    }
}
