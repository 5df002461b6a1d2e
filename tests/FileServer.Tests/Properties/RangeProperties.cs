using CsCheck;
using FileServer.Http;

namespace FileServer.Tests.Properties;

/// <summary>
/// Range (RFC 9110 §14.1.2) under generated input: never an exception; what is honoured lies inside the file,
/// in order, without overlap, never more bytes than the file; a set of ranges written out reads back as them.
/// </summary>
public class RangeProperties
{
    private static readonly string[] Pieces = ["bytes", "Bytes", "=", "-", ",", " ", "\t", "0", "1", "5", "9", "10", "123",
        "9223372036854775807", "9223372036854775808", "99999999999999999999", "items", "+", "x", "-0", ",,"];

    private static readonly Gen<string> RangeLike = Gen.OneOf(Pieces).Array[0, 30].Select(string.Concat);
    private static readonly Gen<string> AnyText = Gen.String;
    private static readonly Gen<long> Length = Gen.OneOf(Gen.Long[0, 20], Gen.Long[0, 10_000], Gen.Long[0, long.MaxValue]);

    [Test]
    public void AnyField_HonouredRangesLieInsideTheFileInOrder() =>
        PropertyRuns.Check(Gen.Select(Gen.OneOf(RangeLike, AnyText), Length), ((string Field, long Length) c) =>
        {
            var set = ByteRangeParser.Parse(c.Field, c.Length);
            if (set.Kind != RangeSetKind.Satisfiable)
            {
                Assert.That(set.Ranges, Is.Empty);
                return;
            }
            Assert.That(set.Ranges, Has.Count.InRange(1, ByteRangeParser.MaxRanges));
            long previousEnd = -1;
            long total = 0;
            foreach (var range in set.Ranges)
            {
                Assert.That(range.Length, Is.Positive);
                Assert.That(range.Start, Is.GreaterThanOrEqualTo(0));
                Assert.That(range.Start + range.Length, Is.LessThanOrEqualTo(c.Length), "inside the file");
                total += range.Length;
            }
            Assert.That(total, Is.LessThanOrEqualTo(c.Length), "never more bytes than the file");
            if (set.Ranges.Count > 1 && IsSorted(set.Ranges))
            {
                foreach (var range in set.Ranges)
                {
                    Assert.That(range.Start, Is.GreaterThan(previousEnd), "no overlap once coalesced");
                    previousEnd = range.Start + range.Length - 1;
                }
            }
        }, c => $"{PropertyRuns.Visible(c.Item1)} / {c.Item2}");

    [Test]
    public void DisjointRangesWrittenOut_ReadBackAsThemselves() =>
        PropertyRuns.Check(Gen.Select(Gen.Long[1, 1_000_000], Gen.Long[0, 1_000_000].Array[2, 2 * ByteRangeParser.MaxRanges], Gen.Bool),
            ((long Length, long[] Cuts, bool Spaces) c) =>
            {
                // Sorted distinct cuts inside the file, paired: [a, b], [c, d], ... with gaps between them.
                var cuts = c.Cuts.Select(x => x % c.Length).Distinct().Order().ToArray();
                var ranges = new List<(long First, long Last)>();
                for (var i = 0; i + 1 < cuts.Length; i += 3)
                {
                    ranges.Add((cuts[i], cuts[i + 1]));
                }
                if (ranges.Count == 0)
                {
                    return;
                }
                var field = "bytes=" + string.Join(c.Spaces ? " , " : ",", ranges.Select(r => $"{r.First}-{r.Last}"));
                var set = ByteRangeParser.Parse(field, c.Length);
                Assert.That(set.Kind, Is.EqualTo(RangeSetKind.Satisfiable));
                Assert.That(set.Ranges.Select(r => (r.Start, r.Start + r.Length - 1)), Is.EqualTo(ranges));
            }, c => $"{c.Item1}: {string.Join(" ", c.Item2)}");

    [Test]
    public void SuffixRange_IsTheLastBytes() =>
        PropertyRuns.Check(Gen.Select(Gen.Long[1, long.MaxValue], Gen.Long[1, long.MaxValue]), ((long Length, long Suffix) c) =>
        {
            var set = ByteRangeParser.Parse($"bytes=-{c.Suffix}", c.Length);
            var count = Math.Min(c.Suffix, c.Length);
            Assert.That(set.Ranges.Single(), Is.EqualTo(new ByteRange(c.Length - count, count)));
        });

    private static bool IsSorted(IReadOnlyList<ByteRange> ranges) =>
        ranges.Zip(ranges.Skip(1)).All(p => p.First.Start <= p.Second.Start);
}
