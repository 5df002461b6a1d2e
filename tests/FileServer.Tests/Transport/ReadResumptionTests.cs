using FileServer.Transport;

namespace FileServer.Tests.Transport;

/// <summary>Reads resume inline up to the threshold of open connections, and on the pool beyond it, read by read.</summary>
public sealed class ReadResumptionTests
{
    [TestCase(0, true)]
    [TestCase(1, true)]
    [TestCase(32, true)]
    [TestCase(33, false)]
    [TestCase(5000, false)]
    public void Inline_UpToTheThreshold(long open, bool inline) =>
        Assert.That(new ReadResumption(() => open, inlineUpTo: 32).Inline, Is.EqualTo(inline));

    [Test]
    public void Inline_FollowsTheCountAsItMoves()
    {
        long open = 10;
        var resumption = new ReadResumption(() => open, inlineUpTo: 32);
        var seen = new List<bool> { resumption.Inline };
        open = 100;
        seen.Add(resumption.Inline);
        open = 20;
        seen.Add(resumption.Inline);
        Assert.That(seen, Is.EqualTo((bool[])[true, false, true]));
    }

    [Test]
    public void StartsHere_OnAThreadOfItsOwn_WhileFewAreOpen()
    {
        long open = 5;
        var resumption = new ReadResumption(() => open, inlineUpTo: 32);
        var seen = new List<bool>();
        // A thread that is not the pool's, as a socket engine's is.
        var thread = new Thread(() =>
        {
            seen.Add(resumption.StartsHere);
            open = 100;
            seen.Add(resumption.StartsHere);
        });
        thread.Start();
        thread.Join();
        Assert.That(seen, Is.EqualTo((bool[])[true, false]));
    }

    [Test]
    public async Task StartsHere_NeverOnThePool()
    {
        var resumption = new ReadResumption(() => 1, inlineUpTo: 32);
        Assert.That(await Task.Run(() => resumption.StartsHere), Is.False);
    }
}
