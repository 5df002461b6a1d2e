using FileServer.Hosting;

namespace FileServer.Tests.Hosting;

/// <summary>When the memory a burst left is given back: once, in the first quiet period after activity.</summary>
public sealed class QuietSpellTests
{
    [Test]
    public void TrimsOnce_InTheFirstQuietPeriodAfterActivity()
    {
        var spell = new QuietSpell(0);
        // A server that started and saw nothing: nothing to give back.
        Assert.That(spell.EndsBurst(0), Is.False);
        Assert.That(spell.EndsBurst(0), Is.False);
        // Traffic: every period moves the count.
        Assert.That(spell.EndsBurst(100), Is.False);
        Assert.That(spell.EndsBurst(5_000), Is.False);
        // The first still period ends the burst; later still ones do not trim again.
        Assert.That(spell.EndsBurst(5_000), Is.True);
        Assert.That(spell.EndsBurst(5_000), Is.False);
        Assert.That(spell.EndsBurst(5_000), Is.False);
        // One request later, and quiet again: one more trim.
        Assert.That(spell.EndsBurst(5_001), Is.False);
        Assert.That(spell.EndsBurst(5_001), Is.True);
    }

    [Test]
    public void SteadyTraffic_NeverTrims()
    {
        var spell = new QuietSpell(0);
        for (var activity = 1; activity <= 100; activity++)
        {
            Assert.That(spell.EndsBurst(activity * 1_000), Is.False);
        }
    }
}
