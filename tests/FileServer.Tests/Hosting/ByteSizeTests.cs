using FileServer.Hosting;

namespace FileServer.Tests.Hosting;

public class ByteSizeTests
{
    [TestCase("0", 0L)]
    [TestCase("65536", 65536L)]
    [TestCase("64k", 65536L)]
    [TestCase("64K", 65536L)]
    [TestCase("256KiB", 262144L)]
    [TestCase("1m", 1048576L)]
    [TestCase("1MB", 1048576L)]
    [TestCase("2g", 2147483648L)]
    [TestCase(" 16k ", 16384L)]
    public void ValidSizes_Parse(string text, long expected)
    {
        Assert.That(ByteSize.TryParse(text, out var bytes), Is.True);
        Assert.That(bytes, Is.EqualTo(expected));
    }

    [TestCase("")]
    [TestCase("k")]
    [TestCase("-1")]
    [TestCase("1.5m")]
    [TestCase("12q")]
    [TestCase("1 m")]
    [TestCase("99999999999999999999")]
    [TestCase("9999999999999g")]
    public void InvalidSizes_DoNotParse(string text)
    {
        Assert.That(ByteSize.TryParse(text, out _), Is.False);
    }
}
