using System.Buffers;
using System.Text;
using FileServer.Http;

namespace FileServer.Tests.Http;

public class RequestHeadParserTests
{
    private static readonly RequestHeadParser Parser = new(RequestLimits.Default);

    private static RequestHead Parse(string text)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text));
        Assert.That(Parser.TryParse(buffer, out var head, out var consumed), Is.True, "head should be complete");
        Assert.That(buffer.Slice(consumed).Length, Is.Zero, "the whole head is consumed");
        return head!;
    }

    private static int RejectionStatus(string text)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text));
        var e = Assert.Throws<HttpRequestRejectedException>(() => Parser.TryParse(buffer, out _, out _));
        return e!.Status;
    }

    [Test]
    public void SimpleGet_ParsesMethodTargetVersionAndFields()
    {
        var head = Parse("GET /a/b.txt?x=1 HTTP/1.1\r\nHost: example\r\nUser-Agent:  curl/8  \r\n\r\n");
        Assert.Multiple(() =>
        {
            Assert.That(head.Method, Is.EqualTo("GET"));
            Assert.That(head.Target, Is.EqualTo("/a/b.txt?x=1"));
            Assert.That(head.Version, Is.EqualTo(HttpProtocolVersion.Http11));
            Assert.That(head.Headers.Get("user-agent"), Is.EqualTo("curl/8"), "names are case-insensitive, OWS trimmed");
            Assert.That(head.BodyFraming, Is.EqualTo(RequestBodyFraming.None));
            Assert.That(head.ClientWantsKeepAlive, Is.True);
        });
    }

    [Test]
    public void BareLineFeeds_AreAcceptedAsLineTerminators()
    {
        var head = Parse("GET / HTTP/1.1\nHost: x\n\n");
        Assert.That(head.Headers.Get("Host"), Is.EqualTo("x"));
    }

    [Test]
    public void LeadingEmptyLines_AreIgnored_Rfc9112Section2_2()
    {
        var head = Parse("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.That(head.Target, Is.EqualTo("/"));
    }

    [TestCase("GET / HTTP/1.1\r\nHost: x\r\n")]
    [TestCase("GET / HTTP/1.1\r\nHost: x\r\n\r")]
    [TestCase("GET / HTTP/1.1")]
    [TestCase("")]
    [TestCase("GE")]
    [TestCase("M-SEARCH")]
    [TestCase("GET /never-ending")]
    public void IncompleteHead_NeedsMoreData(string text)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text));
        Assert.That(Parser.TryParse(buffer, out _, out _), Is.False);
    }

    [TestCase("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", TestName = "TlsClientHello_IsRejectedBeforeAnyLineEnd")]
    [TestCase(" GET / HTTP/1.1", TestName = "LeadingSpace_IsRejectedBeforeAnyLineEnd")]
    [TestCase("GET\t/", TestName = "TabAfterMethod_IsRejectedBeforeAnyLineEnd")]
    [TestCase("G\u00c9T /", TestName = "NonAsciiMethod_IsRejectedBeforeAnyLineEnd")]
    public void LineThatCannotStartWithAMethod_IsRejectedWithoutWaitingForItsEnd(string text)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text));
        var e = Assert.Throws<HttpRequestRejectedException>(() => Parser.TryParse(buffer, out _, out _));
        Assert.That(e!.Status, Is.EqualTo(400));
    }

    [Test]
    public void HeadSplitAcrossSegments_ParsesTheSame()
    {
        var bytes = Encoding.Latin1.GetBytes("GET /split HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\nNEXT");
        for (var cut = 1; cut < bytes.Length - 4; cut++)
        {
            var sequence = TwoSegments(bytes, cut);
            Assert.That(Parser.TryParse(sequence, out var head, out var consumed), Is.True, $"cut at {cut}");
            Assert.That(head!.Target, Is.EqualTo("/split"));
            Assert.That(Encoding.Latin1.GetString(sequence.Slice(consumed).ToArray()), Is.EqualTo("NEXT"), "pipelined bytes stay");
        }
    }

    [Test]
    public void PipelinedRequests_ParseOneAtATime()
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.That(Parser.TryParse(buffer, out var first, out var consumed), Is.True);
        Assert.That(Parser.TryParse(buffer.Slice(consumed), out var second, out _), Is.True);
        Assert.That((first!.Target, second!.Target), Is.EqualTo(("/1", "/2")));
    }

    [TestCase("HTTP/1.0", "", false)]
    [TestCase("HTTP/1.0", "Connection: keep-alive\r\n", true)]
    [TestCase("HTTP/1.1", "", true)]
    [TestCase("HTTP/1.1", "Connection: close\r\n", false)]
    [TestCase("HTTP/1.1", "Connection: TE, Close\r\n", false)]
    public void KeepAlive_FollowsVersionAndConnectionField(string version, string field, bool expected)
    {
        var head = Parse($"GET / {version}\r\nHost: x\r\n{field}\r\n");
        Assert.That(head.ClientWantsKeepAlive, Is.EqualTo(expected));
    }

    [Test]
    public void Http10WithoutHost_IsAccepted()
    {
        Assert.That(Parse("GET / HTTP/1.0\r\n\r\n").Version, Is.EqualTo(HttpProtocolVersion.Http10));
    }

    [Test]
    public void HigherMinorVersion_IsServedAsHttp11()
    {
        Assert.That(Parse("GET / HTTP/1.7\r\nHost: x\r\n\r\n").Version, Is.EqualTo(HttpProtocolVersion.Http11));
    }

    [Test]
    public void ContentLength_IsParsedAsBodyFraming()
    {
        var head = Parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n");
        Assert.That((head.BodyFraming, head.ContentLength), Is.EqualTo((RequestBodyFraming.ContentLength, 12L)));
    }

    [Test]
    public void RepeatedIdenticalContentLength_IsAccepted()
    {
        var head = Parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n");
        Assert.That(head.ContentLength, Is.EqualTo(5));
    }

    [Test]
    public void ChunkedTransferEncoding_IsRecognised()
    {
        var head = Parse("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        Assert.That(head.BodyFraming, Is.EqualTo(RequestBodyFraming.Chunked));
    }

    [TestCase("GET / HTTP/1.1\r\n\r\n", 400, TestName = "Http11WithoutHost_400")]
    [TestCase("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, TestName = "TwoHosts_400")]
    [TestCase("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400, TestName = "ContentLengthAndTransferEncoding_400")]
    [TestCase("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400, TestName = "ConflictingContentLengths_400")]
    [TestCase("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, TestName = "NegativeContentLength_400")]
    [TestCase("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n", 400, TestName = "SignedContentLength_400")]
    [TestCase("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400, TestName = "OverflowingContentLength_400")]
    [TestCase("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400, TestName = "TransferEncodingNotEndingInChunked_400")]
    [TestCase("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, TestName = "TransferEncodingInHttp10_400")]
    [TestCase("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, TestName = "SpaceBeforeColon_400")]
    [TestCase("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400, TestName = "ObsFold_400")]
    [TestCase("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400, TestName = "FieldWithoutColon_400")]
    [TestCase("GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n", 400, TestName = "NulInFieldValue_400")]
    [TestCase("GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", 400, TestName = "BareCrInFieldValue_400")]
    [TestCase("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400, TestName = "DoubleSpaceInRequestLine_400")]
    [TestCase("GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n", 400, TestName = "ControlCharInTarget_400")]
    [TestCase("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, TestName = "MethodNotAToken_400")]
    [TestCase("GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400, TestName = "ExtraRequestLinePart_400")]
    [TestCase("GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400, TestName = "MalformedVersion_400")]
    [TestCase("GET / HTTP/1.10\r\nHost: x\r\n\r\n", 400, TestName = "ThreeDigitVersion_400")]
    [TestCase("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, TestName = "Http2RequestLine_505")]
    [TestCase("GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505, TestName = "Http09_505")]
    [TestCase("GET /\r\n\r\n", 400, TestName = "Http09StyleRequestLine_400")]
    public void MalformedOrAmbiguousHead_IsRejected(string text, int status)
    {
        Assert.That(RejectionStatus(text), Is.EqualTo(status));
    }

    [Test]
    public void RequestLineLongerThanLimit_Is414_EvenBeforeItEnds()
    {
        var target = "/" + new string('a', 9000);
        Assert.That(RejectionStatus($"GET {target}"), Is.EqualTo(414));
        Assert.That(RejectionStatus($"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n"), Is.EqualTo(414));
    }

    [Test]
    public void RequestLineJustUnderLimit_IsAccepted()
    {
        var target = "/" + new string('a', 8 * 1024 - "GET  HTTP/1.1\r".Length - 1);
        Assert.That(Parse($"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").Target, Has.Length.EqualTo(target.Length));
    }

    [Test]
    public void HeadLargerThanLimit_Is431_EvenBeforeItEnds()
    {
        var fields = string.Concat(Enumerable.Range(0, 40).Select(i => $"X-{i}: {new string('v', 1000)}\r\n"));
        Assert.That(RejectionStatus($"GET / HTTP/1.1\r\nHost: x\r\n{fields}"), Is.EqualTo(431));
        Assert.That(RejectionStatus($"GET / HTTP/1.1\r\nHost: x\r\n{fields}\r\n"), Is.EqualTo(431));
    }

    [Test]
    public void MoreThan100Fields_Is431()
    {
        var fields = string.Concat(Enumerable.Range(0, 100).Select(i => $"X-{i}: v\r\n"));
        Assert.That(RejectionStatus($"GET / HTTP/1.1\r\nHost: x\r\n{fields}\r\n"), Is.EqualTo(431));
        Assert.That(Parse($"GET / HTTP/1.1\r\n{fields.Replace("X-0:", "Host:", StringComparison.Ordinal)}\r\n").Headers.Count, Is.EqualTo(100));
    }

    private static ReadOnlySequence<byte> TwoSegments(byte[] bytes, int cut)
    {
        var first = new Segment(bytes.AsMemory(0, cut));
        var last = first.Append(bytes.AsMemory(cut));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
