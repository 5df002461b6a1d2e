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
    private FakeTimeProvider _clock = null!;
    private LazyWaitTimeout _timeout = null!;
    private int _expired;

    [SetUp]
    public void MakeTimeout()
    {
        _clock = new FakeTimeProvider();
        _expired = 0;
        _timeout = new LazyWaitTimeout(_clock, () => _expired++);
    }

    [TearDown]
    public void DisposeTimeout() => _timeout.Dispose();

    [Test]
    public void AWait_ExpiresOnceAtItsDeadline()
    {
        _timeout.Start(Timeout);
        ExpiresExactlyAfter(Timeout);
        _clock.Advance(Timeout * 3);
        Assert.That(_expired, Is.EqualTo(1), "once");
    }

    [Test]
    public void LaterWaits_ExpireAtTheirOwnDeadline_NotAtTheOneTheTimerWasSetFor()
    {
        AWaitThatEndsAfter(TimeSpan.FromSeconds(4), Timeout);
        AWaitThatEndsAfter(TimeSpan.FromSeconds(2), Timeout);
        _timeout.Start(Timeout);
        // The timer was set for 10 s, the wait under way ends at 16 s.
        _clock.Advance(TimeSpan.FromSeconds(4));
        Assert.That(_expired, Is.Zero, "the first deadline passed: the wait under way has 6 s left");
        ExpiresExactlyAfter(TimeSpan.FromSeconds(6));
    }

    [Test]
    public void AnEarlierDeadline_MovesTheTimer()
    {
        AWaitThatEndsAfter(TimeSpan.FromSeconds(1), Timeout * 6);
        _timeout.Start(Timeout);
        _clock.Advance(Timeout);
        Assert.That(_expired, Is.EqualTo(1), "the shorter wait expired at its deadline, not the longer one's");
    }

    [Test]
    public void AStoppedWait_NeverExpires_AndADisposedTimeoutNeither()
    {
        AWaitThatEndsAfter(TimeSpan.FromSeconds(1), Timeout);
        _clock.Advance(Timeout * 2);
        Assert.That(_expired, Is.Zero, "stopped before its deadline");

        _timeout.Start(Timeout);
        _timeout.Dispose();
        _clock.Advance(Timeout * 2);
        Assert.That(_expired, Is.Zero, "disposed while waiting");
    }

    private void AWaitThatEndsAfter(TimeSpan waited, TimeSpan timeout)
    {
        _timeout.Start(timeout);
        _clock.Advance(waited);
        _timeout.Stop();
    }

    // Nothing expires until a millisecond before the wait's deadline, and exactly one expiry at it.
    private void ExpiresExactlyAfter(TimeSpan left)
    {
        _clock.Advance(left - TimeSpan.FromMilliseconds(1));
        Assert.That(_expired, Is.Zero, "not before its deadline");
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(_expired, Is.EqualTo(1), "at its deadline");
    }
}
