using System.Text;
using FileServer.Http;
using FileServer.Serving;

namespace FileServer.Tests.Serving;

public class RepresentationFieldsTests
{
    private const long Modified = 1_764_000_000_123_456_789;
    private static readonly DateTimeOffset ModifiedTime = DateTimeOffset.FromUnixTimeMilliseconds(Modified / 1_000_000);

    [Test]
    public void PreRenderedHead_IsByteForByteTheHeadWithTheFieldsAddedOneByOne()
    {
        var validators = new ValidatorCache().Get(4096, Modified, ModifiedTime);
        var fields = RepresentationFields.Render("text/html; charset=utf-8", validators);

        var oneByOne = new ResponseHead(200).Add("Date", "Thu, 26 Nov 2026 02:00:00 GMT")
            .Add("Content-Type", "text/html; charset=utf-8").Add("Content-Length", "4096")
            .Add("Last-Modified", HttpDate.Format(ModifiedTime)).Add("ETag", EntityTag.ForFile(4096, Modified).ToString())
            .Add("Accept-Ranges", "bytes");
        var preRendered = new ResponseHead(200).Add("Date", "Thu, 26 Nov 2026 02:00:00 GMT").AddRendered(fields.Bytes);

        Assert.Multiple(() =>
        {
            Assert.That(Encoding.Latin1.GetString(Encode(preRendered)), Is.EqualTo(Encoding.Latin1.GetString(Encode(oneByOne))));
            Assert.That(preRendered.EncodedLength, Is.EqualTo(oneByOne.EncodedLength));
        });
    }

    [Test]
    public void Describes_OnlyTheSameTypeSizeAndModificationTime()
    {
        var validators = new ValidatorCache();
        var fields = RepresentationFields.Render("image/png", validators.Get(10, Modified, ModifiedTime));
        Assert.Multiple(() =>
        {
            Assert.That(fields.Describes("image/png", validators.Get(10, Modified, ModifiedTime)), Is.True);
            Assert.That(fields.Describes("image/png", validators.Get(11, Modified, ModifiedTime)), Is.False, "size changed");
            Assert.That(fields.Describes("image/png", validators.Get(10, Modified + 1, ModifiedTime)), Is.False, "rewritten within the same second");
            Assert.That(fields.Describes("image/jpeg", validators.Get(10, Modified, ModifiedTime)), Is.False, "another type");
        });
    }

    [Test]
    public void AddRendered_TwiceOnOneHead_IsRefused()
    {
        var head = new ResponseHead(200).AddRendered("A: b\r\n"u8.ToArray());
        Assert.Throws<InvalidOperationException>(() => head.AddRendered("C: d\r\n"u8.ToArray()));
    }

    private static byte[] Encode(ResponseHead head)
    {
        var bytes = new byte[head.EncodedLength];
        var written = head.CopyTo(bytes);
        Assert.That(written, Is.EqualTo(bytes.Length));
        return bytes;
    }
}
