using FileServer.Http;

namespace FileServer.Tests.Http;

public class ByteRangeParserTests
{
    private static string Describe(RangeSet set) => set.Kind switch
    {
        RangeSetKind.Ignored => "200",
        RangeSetKind.Unsatisfiable => "416",
        _ => "206 " + string.Join(",", set.Ranges.Select(r => $"{r.Start}-{r.End}")),
    };

    // RFC 9110 §14.1.2, for a representation of 10000 bytes.
    [TestCase("bytes=0-499", "206 0-499", TestName = "Rfc_First500Bytes")]
    [TestCase("bytes=500-999", "206 500-999", TestName = "Rfc_Second500Bytes")]
    [TestCase("bytes=-500", "206 9500-9999", TestName = "Rfc_Final500Bytes_Suffix")]
    [TestCase("bytes=9500-", "206 9500-9999", TestName = "Rfc_Final500Bytes_OpenEnded")]
    [TestCase("bytes=0-0,-1", "206 0-0,9999-9999", TestName = "Rfc_FirstAndLastByte")]
    [TestCase("bytes=500-600,601-999", "206 500-600,601-999", TestName = "Rfc_Second500_AdjacentRanges")]
    [TestCase("bytes=500-700,601-999", "206 500-999", TestName = "Rfc_Second500_OverlappingRangesCoalesced")]
    public void Rfc9110Examples(string header, string expected)
    {
        Assert.That(Describe(ByteRangeParser.Parse(header, 10000)), Is.EqualTo(expected));
    }

    // Go's net/http fs_test.go ServeFileRangeTests, re-expressed for an 11-byte file.
    [TestCase(null, "200")]
    [TestCase("bytes=0-4", "206 0-4")]
    [TestCase("bytes=2-", "206 2-10")]
    [TestCase("bytes=-5", "206 6-10")]
    [TestCase("bytes=3-7", "206 3-7")]
    [TestCase("bytes=0-0,-2", "206 0-0,9-10")]
    [TestCase("bytes=0-1,5-8", "206 0-1,5-8")]
    [TestCase("bytes=0-1,5-", "206 0-1,5-10")]
    [TestCase("bytes=5-1000", "206 5-10")]
    [TestCase("bytes=0-,1-,2-,3-,4-", "200")]
    [TestCase("bytes=0-9", "206 0-9")]
    [TestCase("bytes=0-10", "206 0-10")]
    [TestCase("bytes=0-11", "206 0-10")]
    [TestCase("bytes=10-11", "206 10-10")]
    [TestCase("bytes=10-", "206 10-10")]
    [TestCase("bytes=11-", "416")]
    [TestCase("bytes=11-12", "416")]
    [TestCase("bytes=12-12", "416")]
    [TestCase("bytes=11-100", "416")]
    [TestCase("bytes=12-100", "416")]
    [TestCase("bytes=100-", "416")]
    [TestCase("bytes=100-1000", "416")]
    public void GoServeFileRangeTable(string? header, string expected)
    {
        Assert.That(Describe(ByteRangeParser.Parse(header, 11)), Is.EqualTo(expected));
    }

    [TestCase("bytes=", "200", TestName = "EmptyRangeSet_Ignored")]
    [TestCase("bytes=5-1", "200", TestName = "LastBeforeFirst_Ignored")]
    [TestCase("bytes=-0", "416", TestName = "ZeroSuffix_Unsatisfiable")]
    [TestCase("bytes=a-b", "200", TestName = "NonDigits_Ignored")]
    [TestCase("bytes=1-2,", "206 1-2", TestName = "TrailingEmptyElement_Accepted")]
    [TestCase("bytes=,1-2", "206 1-2", TestName = "LeadingEmptyElement_Accepted")]
    [TestCase("bytes = 1-2 , 4-5", "206 1-2,4-5", TestName = "OptionalWhitespace_Accepted")]
    [TestCase("BYTES=1-2", "206 1-2", TestName = "UnitIsCaseInsensitive")]
    [TestCase("items=1-2", "200", TestName = "OtherUnit_Ignored")]
    [TestCase("bytes 1-2", "200", TestName = "MissingEquals_Ignored")]
    [TestCase("bytes=1", "200", TestName = "MissingDash_Ignored")]
    [TestCase("bytes=--1", "200", TestName = "DoubleDash_Ignored")]
    [TestCase("bytes=+1-2", "200", TestName = "SignedNumber_Ignored")]
    [TestCase("bytes=1-2,x", "200", TestName = "OneBadSpec_IgnoresAll")]
    [TestCase("bytes=0-99999999999999999999999999", "206 0-99", TestName = "HugeLastPos_Clamped")]
    [TestCase("bytes=99999999999999999999999999-", "416", TestName = "HugeFirstPos_Unsatisfiable")]
    [TestCase("bytes=-99999999999999999999999999", "206 0-99", TestName = "HugeSuffix_WholeFile")]
    [TestCase("bytes=200-300,-0", "416", TestName = "AllUnsatisfiable_416")]
    [TestCase("bytes=200-300,10-19", "206 10-19", TestName = "UnsatisfiableSpecsAreDropped")]
    [TestCase("bytes=50-59,0-9", "206 50-59,0-9", TestName = "OrderIsKept_WithoutOverlap")]
    [TestCase("bytes=0-9,5-14,30-39", "206 0-14,30-39", TestName = "OverlapIsCoalesced")]
    [TestCase("bytes=0-60,40-99", "200", TestName = "SumBeyondLength_Ignored")]
    public void EdgeCasesAndMalformedInput(string header, string expected)
    {
        Assert.That(Describe(ByteRangeParser.Parse(header, 100)), Is.EqualTo(expected));
    }

    // Found by scripts/fuzz.sh (AFL++, 1.4 s in): ranges of a file near 8 EiB (a sparse file can be one) add up past
    // long.MaxValue, and the sum threw OverflowException instead of the ranges being refused as too many bytes.
    [TestCase("bytes=0-,0-", long.MaxValue)]
    [TestCase("bytes=0-2222222222222222222221,3-4,2-", 0x48000080000f4240)]
    [TestCase("bytes=0-,1-,2-,3-", long.MaxValue / 3)]
    public void RangesAddingUpPastTheLargestLength_AreIgnored_NotAnOverflow(string header, long length)
    {
        Assert.That(ByteRangeParser.Parse(header, length), Is.SameAs(RangeSet.Ignored));
    }

    [Test]
    public void ThousandRanges_AreIgnored()
    {
        var header = "bytes=" + string.Join(",", Enumerable.Range(0, 1000).Select(i => $"{i}-{i}"));
        Assert.That(ByteRangeParser.Parse(header, 100_000).Kind, Is.EqualTo(RangeSetKind.Ignored));
    }

    [Test]
    public void ThirtyTwoRanges_AreHonoured()
    {
        var header = "bytes=" + string.Join(",", Enumerable.Range(0, 32).Select(i => $"{i * 10}-{i * 10}"));
        Assert.That(ByteRangeParser.Parse(header, 100_000).Ranges, Has.Count.EqualTo(32));
    }

    [TestCase("bytes=0-", "200", TestName = "EmptyFile_OpenEnded_Ignored")]
    [TestCase("bytes=-5", "200", TestName = "EmptyFile_Suffix_Ignored")]
    public void EmptyRepresentation_IgnoresRange(string header, string expected)
    {
        Assert.That(Describe(ByteRangeParser.Parse(header, 0)), Is.EqualTo(expected));
    }

    [Test]
    public void RangesNearTheEndOfA5GiBFile_Use64BitOffsets()
    {
        const long size = 5L << 30;
        var set = ByteRangeParser.Parse($"bytes={size - 10}-,-3,{(4L << 30) + 1}-{(4L << 30) + 100}", size);
        Assert.That(Describe(set), Is.EqualTo($"206 {(4L << 30) + 1}-{(4L << 30) + 100},{size - 10}-{size - 1}"),
            "-3 overlaps the first range: coalescing merges it and sorts the parts");
    }

    // RFC 9110 §14.4 examples of Content-Range.
    [Test]
    public void ContentRange_FormatsAsRfc()
    {
        Assert.That(new ByteRange(42, 1192).ContentRange(1234), Is.EqualTo("bytes 42-1233/1234"));
        Assert.That(ByteRange.UnsatisfiedContentRange(1234), Is.EqualTo("bytes */1234"));
    }
}
