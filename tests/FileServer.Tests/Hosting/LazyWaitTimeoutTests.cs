using FileServer.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace FileServer.Tests.Hosting;

/// <summary>
/// A connection's wait timeout, started and stopped around every wait while its timer stays where it was set: a wait
/// expires exactly at its own deadline, never at an earlier wait's, and a stopped one never.
/// </summary>
public sealed class LazyWaitTimeoutTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Test]
    public void AWait_ExpiresOnceAtItsDeadline()
    {
        var clock = new FakeTimeProvider();
        var expired = 0;
        using var timeout = new LazyWaitTimeout(clock, () => expired++);
        timeout.Start(Timeout);
        clock.Advance(Timeout - TimeSpan.FromMilliseconds(1));
        Assert.That(expired, Is.Zero, "not before the deadline");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(expired, Is.EqualTo(1), "at the deadline");
        clock.Advance(Timeout * 3);
        Assert.That(expired, Is.EqualTo(1), "once");
    }

    [Test]
    public void LaterWaits_ExpireAtTheirOwnDeadline_NotAtTheOneTheTimerWasSetFor()
    {
        var clock = new FakeTimeProvider();
        var expired = 0;
        using var timeout = new LazyWaitTimeout(clock, () => expired++);
        timeout.Start(Timeout);
        clock.Advance(TimeSpan.FromSeconds(4));
        timeout.Stop();
        timeout.Start(Timeout);
        clock.Advance(TimeSpan.FromSeconds(2));
        timeout.Stop();
        timeout.Start(Timeout);
        // The timer was set for 10 s, the wait under way ends at 16 s.
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.That(expired, Is.Zero, "the first deadline passed: the wait under way has 6 s left");
        clock.Advance(TimeSpan.FromSeconds(6) - TimeSpan.FromMilliseconds(1));
        Assert.That(expired, Is.Zero, "not before its own deadline");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(expired, Is.EqualTo(1), "at its own deadline");
    }

    [Test]
    public void AnEarlierDeadline_MovesTheTimer()
    {
        var clock = new FakeTimeProvider();
        var expired = 0;
        using var timeout = new LazyWaitTimeout(clock, () => expired++);
        timeout.Start(Timeout * 6);
        clock.Advance(TimeSpan.FromSeconds(1));
        timeout.Stop();
        timeout.Start(Timeout);
        clock.Advance(Timeout);
        Assert.That(expired, Is.EqualTo(1), "the shorter wait expired at its deadline, not the longer one's");
    }

    [Test]
    public void AStoppedWait_NeverExpires_AndADisposedTimeoutNeither()
    {
        var clock = new FakeTimeProvider();
        var expired = 0;
        var timeout = new LazyWaitTimeout(clock, () => expired++);
        timeout.Start(Timeout);
        clock.Advance(TimeSpan.FromSeconds(1));
        timeout.Stop();
        clock.Advance(Timeout * 2);
        Assert.That(expired, Is.Zero, "stopped before its deadline");

        timeout.Start(Timeout);
        timeout.Dispose();
        clock.Advance(Timeout * 2);
        Assert.That(expired, Is.Zero, "disposed while waiting");
    }
}
