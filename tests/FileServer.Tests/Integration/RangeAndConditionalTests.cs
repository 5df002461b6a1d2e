using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using FileServer.Tests.Support;
using Microsoft.AspNetCore.WebUtilities;

namespace FileServer.Tests.Integration;

/// <summary>Ranges, multipart/byteranges and conditional requests over real sockets, on both body paths and over TLS.</summary>
[TestFixture(false, false, "sendfile")]
[TestFixture(true, false, "copy")]
[TestFixture(false, true, "copy")]
public class RangeAndConditionalTests(bool disableSendFile, bool tls, string expectedPath)
{
    private const int Size = 300_000;
    private TempTree _tree = null!;
    private TestServer _server = null!;
    private HttpClient _client = null!;
    private byte[] _content = null!;

    [OneTimeSetUp]
    public void Start()
    {
        _tree = new TempTree();
        _content = new byte[Size];
        new Random(7).NextBytes(_content);
        // Modified an hour ago: a Last-Modified date is a strong validator (for If-Range) only once the file has
        // stayed unchanged for a second.
        _tree.WriteBytes("data.bin", _content);
        File.SetLastWriteTimeUtc(_tree.PathOf("data.bin"), DateTime.UtcNow.AddHours(-1));
        _tree.WriteBytes("empty.bin", []);
        _server = TestServer.Start(_tree.Root, tls, o => o with { DisableSendFile = disableSendFile });
        _client = _server.CreateHttpClient();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        _tree.Dispose();
    }

    private async Task<HttpResponseMessage> SendAsync(string path, Action<HttpRequestHeaders> headers, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        headers(request.Headers);
        return await _client.SendAsync(request);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : "";

    [TestCase("bytes=100-199", 100, 199)]
    [TestCase("bytes=299000-", 299_000, Size - 1)]
    [TestCase("bytes=-500", Size - 500, Size - 1)]
    [TestCase("bytes=0-0", 0, 0)]
    [TestCase("bytes=200000-999999999", 200_000, Size - 1)]
    public async Task SingleRange_Is206WithExactlyTheSlice(string range, int first, int last)
    {
        using var response = await SendAsync("/data.bin", h => h.TryAddWithoutValidation("Range", range));
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
            Assert.That(Header(response, "Content-Range"), Is.EqualTo($"bytes {first}-{last}/{Size}"));
            Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(last - first + 1));
            Assert.That(body, Is.EqualTo(_content[first..(last + 1)]));
        });
    }

    [Test]
    public async Task SeveralRanges_AreAMultipartBodyThatAMimeParserReadsBack()
    {
        (int First, int Last)[] wanted = [(0, 9), (1000, 66535), (299_900, Size - 1)];
        using var response = await SendAsync("/data.bin", h => h.TryAddWithoutValidation("Range", "bytes=0-9,1000-66535,-100"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        var mediaType = response.Content.Headers.ContentType!;
        Assert.That(mediaType.MediaType, Is.EqualTo("multipart/byteranges"));
        var boundary = mediaType.Parameters.Single(p => p.Name == "boundary").Value!;

        var raw = await response.Content.ReadAsByteArrayAsync();
        Assert.That(raw, Has.Length.EqualTo(response.Content.Headers.ContentLength), "Content-Length is exact");
        var reader = new MultipartReader(boundary, new MemoryStream(raw));
        var parts = new List<(string ContentRange, string ContentType, byte[] Body)>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            using var body = new MemoryStream();
            await section.Body.CopyToAsync(body);
            parts.Add((section.Headers!["Content-Range"].ToString(), section.ContentType!, body.ToArray()));
        }

        Assert.That(parts, Has.Count.EqualTo(wanted.Length));
        for (var i = 0; i < wanted.Length; i++)
        {
            var (first, last) = wanted[i];
            Assert.That(parts[i].ContentRange, Is.EqualTo($"bytes {first}-{last}/{Size}"));
            Assert.That(parts[i].ContentType, Is.EqualTo("application/octet-stream"));
            Assert.That(parts[i].Body, Is.EqualTo(_content[first..(last + 1)]), $"part {i}");
        }
    }

    [Test]
    public void MultipartParts_TakeTheConfiguredBodyPath()
    {
        using var connection = _server.Connect();
        // Over BodyPathChooser.SmallBodyLimit in total, so the default path is zero-copy.
        Assert.That(connection.Get("/data.bin?multipart-path", "Range: bytes=0-9,100000-199999\r\n").Status, Is.EqualTo(206));
        // A connection logs a response before it reads the next request: this answer proves the first is logged.
        connection.Get("/empty.bin");
        var log = _server.Logs.Access.Single(l => (string)l.Values["Target"]! == "/data.bin?multipart-path");
        Assert.That(log.Values["BodyPath"], Is.EqualTo(expectedPath));
    }

    [TestCase("bytes=300000-")]
    [TestCase("bytes=999999-1000000")]
    [TestCase("bytes=-0")]
    public async Task UnsatisfiableRange_Is416WithTheLength(string range)
    {
        using var response = await SendAsync("/data.bin", h => h.TryAddWithoutValidation("Range", range));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestedRangeNotSatisfiable));
        Assert.That(Header(response, "Content-Range"), Is.EqualTo($"bytes */{Size}"));
    }

    [TestCase("bytes=5-1")]
    [TestCase("bytes=a-b")]
    [TestCase("lines=1-2")]
    [TestCase("bytes=0-,1-,2-,3-,4-")]
    public async Task UnusableRange_IsIgnored_WholeFile200(string range)
    {
        using var response = await SendAsync("/data.bin", h => h.TryAddWithoutValidation("Range", range));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(_content));
    }

    [Test]
    public void ResumingACompleteFile_Is416_AsCurlExpects()
    {
        using var connection = _server.Connect();
        var response = connection.Get("/data.bin", $"Range: bytes={Size}-\r\n");
        Assert.That(response.Status, Is.EqualTo(416));
        Assert.That(connection.Get("/data.bin", "Range: bytes=0-1\r\n").Status, Is.EqualTo(206), "the connection stays usable");
    }

    [Test]
    public async Task IfNoneMatch_WithTheCurrentETag_Is304WithValidatorsAndNoBody()
    {
        using var first = await _client.GetAsync("/data.bin");
        var etag = first.Headers.ETag!;
        using var connection = _server.Connect();
        var response = connection.Get("/data.bin", $"If-None-Match: {etag}\r\n");
        var next = connection.Get("/empty.bin");
        Assert.Multiple(() =>
        {
            Assert.That(response.Status, Is.EqualTo(304));
            Assert.That(response.Header("ETag"), Is.EqualTo(etag.ToString()));
            Assert.That(response.Header("Last-Modified"), Is.EqualTo(Header(first, "Last-Modified")));
            Assert.That(response.Header("Date"), Is.Not.Null);
            Assert.That(response.Header("Content-Length"), Is.Null);
            Assert.That(next.StatusLine, Is.EqualTo("HTTP/1.1 200 OK"), "no body bytes followed the 304");
        });
    }

    [Test]
    public async Task IfModifiedSince_AtLastModified_Is304_AndBefore_Is200()
    {
        using var first = await _client.GetAsync("/data.bin");
        var lastModified = first.Content.Headers.LastModified!.Value;
        using var notModified = await SendAsync("/data.bin", h => h.IfModifiedSince = lastModified);
        using var modified = await SendAsync("/data.bin", h => h.IfModifiedSince = lastModified.AddSeconds(-1));
        Assert.That(notModified.StatusCode, Is.EqualTo(HttpStatusCode.NotModified));
        Assert.That(modified.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task IfMatch_WithAnotherETag_Is412()
    {
        using var response = await SendAsync("/data.bin", h => h.TryAddWithoutValidation("If-Match", "\"not-it\""));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed));
    }

    [Test]
    public async Task IfUnmodifiedSince_BeforeLastModified_Is412()
    {
        using var response = await SendAsync("/data.bin", h => h.IfUnmodifiedSince = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed));
    }

    [Test]
    public async Task IfRange_WithAStaleValidator_SendsTheWholeFile()
    {
        using var stale = await SendAsync("/data.bin", h =>
        {
            h.TryAddWithoutValidation("Range", "bytes=10-19");
            h.TryAddWithoutValidation("If-Range", "\"stale\"");
        });
        using var staleDate = await SendAsync("/data.bin", h =>
        {
            h.TryAddWithoutValidation("Range", "bytes=10-19");
            h.TryAddWithoutValidation("If-Range", "Mon, 01 Jan 2001 00:00:00 GMT");
        });
        Assert.That(stale.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await stale.Content.ReadAsByteArrayAsync(), Is.EqualTo(_content));
        Assert.That(staleDate.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task IfRange_WithTheCurrentValidator_HonoursTheRange()
    {
        using var first = await _client.GetAsync("/data.bin");
        using var byTag = await SendAsync("/data.bin", h =>
        {
            h.TryAddWithoutValidation("Range", "bytes=10-19");
            h.TryAddWithoutValidation("If-Range", first.Headers.ETag!.ToString());
        });
        using var byDate = await SendAsync("/data.bin", h =>
        {
            h.TryAddWithoutValidation("Range", "bytes=10-19");
            h.TryAddWithoutValidation("If-Range", Header(first, "Last-Modified"));
        });
        Assert.That(byTag.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(await byTag.Content.ReadAsByteArrayAsync(), Is.EqualTo(_content[10..20]));
        Assert.That(byDate.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
    }

    [Test]
    public async Task FutureModificationTime_IsSentAsTheTimeOfTheResponse()
    {
        _tree.WriteBytes("future.bin", [1, 2, 3]);
        File.SetLastWriteTimeUtc(_tree.PathOf("future.bin"), DateTime.UtcNow.AddYears(5));
        using var response = await _client.GetAsync("/future.bin");
        var lastModified = response.Content.Headers.LastModified!.Value;
        var date = response.Headers.Date!.Value;
        Assert.That(lastModified, Is.InRange(date.AddSeconds(-1), date));
    }

    [Test]
    public async Task IfRange_WithTheDateOfAFileModifiedInTheFuture_SendsTheWholeFile()
    {
        // A modification time in the future is sent as the response's time, so the date is never a second old.
        _tree.WriteBytes("moving.bin", _content);
        File.SetLastWriteTimeUtc(_tree.PathOf("moving.bin"), DateTime.UtcNow.AddYears(5));
        using var first = await _client.GetAsync("/moving.bin");
        using var response = await SendAsync("/moving.bin", h =>
        {
            h.TryAddWithoutValidation("Range", "bytes=10-19");
            h.TryAddWithoutValidation("If-Range", Header(first, "Last-Modified"));
        });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(_content));
    }

    [Test]
    public void TwoRangeLines_AreAnInvalidRange_AndTheWholeFileIsSent()
    {
        using var connection = _server.Connect();
        connection.Send("GET /data.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\nRange: bytes=20-29\r\n\r\n");
        var response = connection.ReadResponse();
        Assert.That((response.Status, response.BodyLength), Is.EqualTo((200, (long)Size)));
    }

    [TestCase("bytes=100-199", 206, "100")]
    [TestCase("bytes=0-9,20-29", 206, null)]
    [TestCase("bytes=999999-", 416, null)]
    [TestCase(null, 200, "300000")]
    public void Head_MirrorsGetStatusAndHeaders_WithoutBody(string? range, int status, string? contentLength)
    {
        using var connection = _server.Connect();
        var rangeField = range is null ? "" : $"Range: {range}\r\n";
        connection.Send($"HEAD /data.bin HTTP/1.1\r\nHost: x\r\n{rangeField}\r\n");
        var head = connection.ReadResponse(isHead: true);
        connection.Send($"GET /data.bin HTTP/1.1\r\nHost: x\r\n{rangeField}\r\n");
        var get = connection.ReadResponse();
        Assert.Multiple(() =>
        {
            Assert.That(head.Status, Is.EqualTo(status));
            Assert.That(get.Status, Is.EqualTo(status));
            Assert.That(head.Header("Content-Range") is null, Is.EqualTo(get.Header("Content-Range") is null));
            Assert.That(head.Header("Content-Type")?.Split(';')[0], Is.EqualTo(get.Header("Content-Type")?.Split(';')[0]));
            if (contentLength is not null)
            {
                Assert.That(head.Header("Content-Length"), Is.EqualTo(contentLength));
                Assert.That(get.Header("Content-Length"), Is.EqualTo(contentLength));
            }
        });
    }

    [Test]
    public void RangeOfAnEmptyFile_IsIgnored()
    {
        using var connection = _server.Connect();
        var response = connection.Get("/empty.bin", "Range: bytes=0-\r\n");
        Assert.That((response.Status, response.Header("Content-Length")), Is.EqualTo((200, "0")));
    }

    [Test]
    public void PipelinedRangeRequests_AreAnsweredInOrder()
    {
        using var connection = _server.Connect();
        var requests = string.Concat(Enumerable.Range(0, 5).Select(i =>
            string.Create(CultureInfo.InvariantCulture, $"GET /data.bin HTTP/1.1\r\nHost: x\r\nRange: bytes={i * 1000}-{(i * 1000) + 99}\r\n\r\n")));
        connection.Send(requests);
        for (var i = 0; i < 5; i++)
        {
            var response = connection.ReadResponse();
            Assert.That(response.Body, Is.EqualTo(_content[(i * 1000)..((i * 1000) + 100)]), $"response {i}");
        }
    }
}
