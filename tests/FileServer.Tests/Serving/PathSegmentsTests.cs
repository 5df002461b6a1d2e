using FileServer.Serving;

namespace FileServer.Tests.Serving;

public class PathSegmentsTests
{
    [TestCase("/", new string[0], true)]
    [TestCase("/a/b.txt", new[] { "a", "b.txt" }, false)]
    [TestCase("/a/", new[] { "a" }, true)]
    [TestCase("//a///b", new[] { "a", "b" }, false)]
    [TestCase("/./a/./b", new[] { "a", "b" }, false)]
    [TestCase("/h%C3%A9%20llo.txt", new[] { "hé llo.txt" }, false)]
    [TestCase("/100%25", new[] { "100%" }, false)]
    [TestCase("/%2541", new[] { "%41" }, false)]
    [TestCase("/a+b", new[] { "a+b" }, false)]
    [TestCase("/a/.", new[] { "a" }, true)]
    [TestCase("/a/%2e", new[] { "a" }, true)]
    [TestCase("/.", new string[0], true)]
    [TestCase("/a/./b", new[] { "a", "b" }, false)]
    public void ValidPaths_DecodeOnce(string raw, string[] expected, bool namesDirectory)
    {
        Assert.That(PathSegments.TryDecode(raw, out var segments, out var directory, out var error), Is.True, error);
        Assert.That(segments, Is.EqualTo(expected));
        Assert.That(directory, Is.EqualTo(namesDirectory));
    }

    [TestCase("/../etc/passwd")]
    [TestCase("/a/../../etc/passwd")]
    [TestCase("/a/..")]
    [TestCase("/%2e%2e/etc/passwd")]
    [TestCase("/%2E%2E/etc/passwd")]
    [TestCase("/.%2e/etc/passwd")]
    [TestCase("/a%2f..%2f..%2fetc/passwd")]
    [TestCase("/a%2Fb")]
    [TestCase("/a%5c..%5cb")]
    [TestCase("/a%00.txt")]
    [TestCase("/%")]
    [TestCase("/%4")]
    [TestCase("/%zz")]
    [TestCase("/%C3")]
    [TestCase("/%FF%FE")]
    public void HostileOrMalformedPaths_AreRefused(string raw)
    {
        Assert.That(PathSegments.TryDecode(raw, out _, out _, out var error), Is.False);
        Assert.That(error, Is.Not.Empty);
    }
}
