using FileServer.Http;
using FileServer.Serving;

namespace FileServer.Tests.Serving;

/// <summary>A response's segments, held inline (one or two) or in a list: the same segments, in order, either way.</summary>
public class BodySegmentsTests
{
    private static readonly BodySegment Head = BodySegment.FromBytes(new byte[] { 1, 2, 3 });
    private static readonly BodySegment Range = BodySegment.FromFile(100, 50);
    private static readonly bool[] HeadPartRangePartRangeClosing = [false, false, true, false, true, false];

    [Test]
    public void TwoInline_AreTheHeadThenTheRange_AndNothingPastThem()
    {
        var segments = BodySegments.Of(Head, Range);

        Assert.That(segments.Count, Is.EqualTo(2));
        Assert.That(segments[0], Is.EqualTo(Head));
        Assert.That(segments[1], Is.EqualTo(Range));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = segments[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = segments[-1]);
    }

    [Test]
    public void OneInline_HasNoSecond()
    {
        var segments = BodySegments.Of(Range);

        Assert.That(segments.Count, Is.EqualTo(1));
        Assert.That(segments[0], Is.EqualTo(Range));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = segments[1]);
    }

    [Test]
    public void FromAList_AreTheListsSegmentsInOrder()
    {
        var list = new List<BodySegment> { Head, Range, BodySegment.FromBytes(new byte[] { 9 }), BodySegment.FromFile(0, 7) };

        var segments = BodySegments.Of(list);

        Assert.That(segments.Count, Is.EqualTo(4));
        Assert.That(Enumerable.Range(0, segments.Count).Select(i => segments[i]), Is.EqualTo(list));
    }

    [Test]
    public void MultipartPlan_GivesHeadPartHeadersRangesAndClosing_InOrder()
    {
        var ranges = ByteRangeParser.Parse("bytes=0-9,20-29", 100);

        var plan = ResponsePlan.For(ranges, "text/plain", 100);
        var segments = plan.Segments(new byte[] { 0 });

        Assert.That(segments.Count, Is.EqualTo(6));
        Assert.That(Enumerable.Range(0, segments.Count).Select(i => segments[i].IsFileRange), Is.EqualTo(HeadPartRangePartRangeClosing));
        Assert.That((segments[2].FileOffset, segments[2].FileCount, segments[4].FileOffset, segments[4].FileCount), Is.EqualTo((0L, 10L, 20L, 10L)));
    }

    [Test]
    public void WholeFilePlan_IsTheHeadThenTheWholeFile()
    {
        var plan = ResponsePlan.For(RangeSet.Ignored, "text/plain", 100);
        var segments = plan.Segments(new byte[] { 0, 1 });

        Assert.That(segments.Count, Is.EqualTo(2));
        Assert.That(segments[0].Bytes.Length, Is.EqualTo(2));
        Assert.That((segments[1].FileOffset, segments[1].FileCount), Is.EqualTo((0L, 100L)));
    }
}
