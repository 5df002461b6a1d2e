using FileServer.Http;

namespace FileServer.Tests.Http;

public class EntityTagTests
{
    [Test]
    public void ForFile_IsStrongQuotedAndDependsOnSizeAndTime()
    {
        var tag = EntityTag.ForFile(255, 1_000_000_123);
        Assert.Multiple(() =>
        {
            Assert.That(tag.IsWeak, Is.False);
            Assert.That(tag.ToString(), Does.StartWith("\"").And.EndWith("\""));
            Assert.That(tag, Is.Not.EqualTo(EntityTag.ForFile(256, 1_000_000_123)));
            Assert.That(tag, Is.Not.EqualTo(EntityTag.ForFile(255, 1_000_000_124)), "sub-second changes count");
            Assert.That(tag, Is.EqualTo(EntityTag.ForFile(255, 1_000_000_123)));
        });
    }

    // The comparison table of RFC 9110 §8.8.3.2.
    [TestCase("\"1\"", true, "\"1\"", true, false, true)]
    [TestCase("\"1\"", true, "\"1\"", false, false, true)]
    [TestCase("\"1\"", true, "\"2\"", true, false, false)]
    [TestCase("\"1\"", false, "\"1\"", false, true, true)]
    public void Comparison_FollowsRfcTable(string a, bool aWeak, string b, bool bWeak, bool strong, bool weak)
    {
        var left = new EntityTag(a, aWeak);
        var right = new EntityTag(b, bWeak);
        Assert.That((left.StrongEquals(right), left.WeakEquals(right)), Is.EqualTo((strong, weak)));
    }
}
