using FileServer.Http;

namespace FileServer.Tests.Http;

public class HttpDateTests
{
    private static readonly DateTimeOffset Example = new(1994, 11, 6, 8, 49, 37, TimeSpan.Zero);

    // The three examples of RFC 9110 §5.6.7.
    [TestCase("Sun, 06 Nov 1994 08:49:37 GMT")]
    [TestCase("Sunday, 06-Nov-94 08:49:37 GMT")]
    [TestCase("Sun Nov  6 08:49:37 1994")]
    public void AllThreeFormats_ParseToTheSameInstant(string text)
    {
        Assert.That(HttpDate.TryParse(text, out var value), Is.True);
        Assert.That(value, Is.EqualTo(Example));
    }

    [TestCase("")]
    [TestCase("yesterday")]
    [TestCase("Sun, 06 Nov 1994 08:49:37 PST")]
    [TestCase("Sun, 32 Nov 1994 08:49:37 GMT")]
    [TestCase("2024-01-01T00:00:00Z")]
    public void Garbage_DoesNotParse(string text)
    {
        Assert.That(HttpDate.TryParse(text, out _), Is.False);
    }

    [Test]
    public void Format_IsImfFixdate()
    {
        Assert.That(HttpDate.Format(Example.AddMilliseconds(999)), Is.EqualTo("Sun, 06 Nov 1994 08:49:37 GMT"));
    }
}
