using System.Buffers;
using System.Text;
using CsCheck;
using FileServer.Http;

namespace FileServer.Tests.Properties;

/// <summary>
/// The request-head parser under generated input: any bytes end in a head, "need more" or a rejection with a
/// 4xx/505 — never another exception; a well-formed head reads back exactly, however the bytes are split.
/// </summary>
public class RequestHeadParserProperties
{
    private static readonly RequestHeadParser Parser = new(RequestLimits.Default);

    // Pieces of real and hostile heads, so random sequences reach deep into the grammar, not just the first byte.
    private static readonly string[] Pieces =
    [
        "GET", "HEAD", "POST", "OPTIONS", " ", "  ", "\t", "/", "/a", "/%2e%2e/", "?q=1", "*", "http://h/", "HTTP/1.1", "HTTP/1.0",
        "HTTP/2.0", "HTTP/1.10", "\r\n", "\n", "\r", "\r\n\r\n", ":", ": ", "Host", "host: x", "Content-Length", "Transfer-Encoding",
        "chunked", "gzip, chunked", "0", "12", "-1", "99999999999999999999", "+5", "Connection", "close", "keep-alive", "Expect",
        "100-continue", "Range", "bytes=0-1", "\0", "\u00ff", "\u0080", "x", "é", " \r\n ", "\r\n\t", "Host:", ",", "\"",
    ];

    private static readonly Gen<byte[]> HttpLikeBytes =
        Gen.OneOf(Pieces).Array[0, 40].Select(parts => Encoding.Latin1.GetBytes(string.Concat(parts)));

    private static readonly Gen<byte[]> AnyBytes = Gen.Byte.Array[0, 600];

    [Test]
    public void AnyBytes_EndInAHeadNeedMoreOrARejection()
    {
        var outcomes = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        PropertyRuns.Check(Gen.OneOf(AnyBytes, HttpLikeBytes, Mutated), bytes =>
        {
            var outcome = ParseOrReject(bytes);
            outcomes.AddOrUpdate(outcome.StartsWith("rejected", StringComparison.Ordinal) ? outcome : outcome == "more" ? "more" : "head", 1, (_, n) => n + 1);
        }, Show);
        TestContext.Out.WriteLine(string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key}: {o.Value}")));
        // The generator reaches every outcome, so the property says something about each.
        Assert.That(outcomes.Keys, Does.Contain("head").And.Contain("more").And.Contain("rejected 400"));
    }

    [Test]
    public void AnySplit_ParsesAsTheWhole() =>
        PropertyRuns.Check(
            Gen.Select(Gen.OneOf(HttpLikeBytes, WellFormed.Select(h => h.Bytes)), Gen.Int[0, 1000], Gen.Int[0, 1000]),
            ((byte[] Bytes, int A, int B) c) =>
            {
                var whole = ParseOrReject(c.Bytes);
                var split = ParseOrReject(c.Bytes, c.A % (c.Bytes.Length + 1), c.B % (c.Bytes.Length + 1));
                Assert.That(split, Is.EqualTo(whole));
            },
            c => Show(c.Item1));

    [Test]
    public void WellFormedHead_ReadsBackExactly() =>
        PropertyRuns.Check(WellFormed, h =>
        {
            var sequence = new ReadOnlySequence<byte>(h.Bytes);
            Assert.That(Parser.TryParse(sequence, out var head, out var consumed), Is.True);
            Assert.Multiple(() =>
            {
                Assert.That(sequence.Slice(0, consumed).Length, Is.EqualTo(h.HeadLength), "consumed exactly the head");
                Assert.That(head!.Method, Is.EqualTo(h.Method));
                Assert.That(head.Target, Is.EqualTo(h.Target));
                Assert.That(head.Headers.Fields.Select(f => (f.Key.ToUpperInvariant(), f.Value)), Is.EqualTo(h.Fields.Select(f => (f.Name.ToUpperInvariant(), f.Value))));
            });
        }, h => Show(h.Bytes));

    [Test]
    public void EveryProperPrefixOfAWellFormedHead_NeedsMore() =>
        PropertyRuns.Check(Gen.Select(WellFormed, Gen.Int[0, 100_000]), ((Head Head, int Cut) c) =>
        {
            var cut = c.Cut % c.Head.HeadLength;
            Assert.That(Parser.TryParse(new ReadOnlySequence<byte>(c.Head.Bytes, 0, cut), out _, out _), Is.False);
        }, c => Show(c.Item1.Bytes));

    // A well-formed head with a few pieces put in and bytes overwritten at random places: near misses, where
    // parsers go wrong (a CR in a value, a second Content-Length, a space before a colon).
    private static Gen<byte[]> Mutated =>
        Gen.Select(WellFormed, Gen.Select(Gen.Int[0, 4096], Gen.OneOf(Pieces)).Array[0, 3], Gen.Select(Gen.Int[0, 4096], Gen.Byte).Array[0, 2])
            .Select((head, inserts, overwrites) =>
            {
                var bytes = new List<byte>(head.Bytes);
                foreach (var (at, piece) in inserts)
                {
                    bytes.InsertRange(at % (bytes.Count + 1), Encoding.Latin1.GetBytes(piece));
                }
                foreach (var (at, value) in overwrites)
                {
                    bytes[at % bytes.Count] = value;
                }
                return bytes.ToArray();
            });

    internal sealed record Head(byte[] Bytes, int HeadLength, string Method, string Target, (string Name, string Value)[] Fields);

    private static readonly Gen<string> Token = Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~"].Array[1, 12].Select(c => new string(c));
    private static readonly Gen<string> PathText = Gen.Char["abcxyz0189-._~%/!$&'()*+,;=:@"].Array[0, 40].Select(c => "/" + new string(c));
    private static readonly Gen<string> FieldValue = Gen.Char[" abcXYZ019!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\t\u00e9"].Array[0, 30]
        .Select(c => new string(c).Trim(' ', '\t'));

    private static readonly Gen<(string, string)> Field = Gen.Select(Token, FieldValue)
        .Where(f => !IsFramingField(f.Item1));

    internal static readonly Gen<Head> WellFormed =
        Gen.Select(Token, PathText, Gen.OneOf("HTTP/1.1", "HTTP/1.0"), Field.Array[0, 12], Gen.Byte.Array[0, 20])
            .Select((method, target, version, fields, trailing) =>
            {
                var text = new StringBuilder().Append(method).Append(' ').Append(target).Append(' ').Append(version).Append("\r\nHost: h\r\n");
                foreach (var (name, value) in fields)
                {
                    text.Append(name).Append(": ").Append(value).Append("\r\n");
                }
                text.Append("\r\n");
                var head = Encoding.Latin1.GetBytes(text.ToString());
                return new Head([.. head, .. trailing], head.Length, method, target, [("Host", "h"), .. fields]);
            });

    // Fields that change framing or are checked for their values get their own tests; here they would only
    // turn well-formed heads into rejections.
    private static bool IsFramingField(string name) =>
        name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) || name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Expect", StringComparison.OrdinalIgnoreCase);

    // A comparable outcome: the head's fields, "more", or the rejection's status.
    private static string ParseOrReject(byte[] bytes, int cutA = -1, int cutB = -1)
    {
        var sequence = cutA < 0 ? new ReadOnlySequence<byte>(bytes) : Segments.Split(bytes, cutA, cutB);
        try
        {
            if (!Parser.TryParse(sequence, out var head, out var consumed))
            {
                return "more";
            }
            return $"{head.Method} {head.Target} {head.VersionText} {head.BodyFraming} {head.ContentLength} [{string.Join('|', head.Headers.Fields)}] @{sequence.Slice(0, consumed).Length}";
        }
        catch (HttpRequestRejectedException e)
        {
            Assert.That(e.Status, Is.InRange(400, 499).Or.EqualTo(505), e.Message);
            return $"rejected {e.Status}";
        }
    }

    private static string Show(byte[] bytes) => PropertyRuns.Visible(Encoding.Latin1.GetString(bytes));
}
