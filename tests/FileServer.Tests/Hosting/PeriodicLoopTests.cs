using FileServer.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace FileServer.Tests.Hosting;

/// <summary>A background check ticks once a period while it has something to look at, and arms no timer otherwise.</summary>
public sealed class PeriodicLoopTests
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Test]
    public async Task NotWoken_ArmsNoTimer()
    {
        var clock = new FakeTimeProvider();
        var ticks = 0;
        await using var loop = new PeriodicLoop(Period, clock, () => Interlocked.Increment(ref ticks) > 0);
        clock.Advance(Period * 10);
        Assert.That(loop.IsRunning, Is.False);
        Assert.That(ticks, Is.Zero);
    }

    [Test]
    public async Task Woken_TicksEachPeriod_UntilTheTickHasNothingLeft_AndAgainWhenWoken()
    {
        var clock = new FakeTimeProvider();
        using var ticked = new SemaphoreSlim(0);
        var left = 3;
        await using var loop = new PeriodicLoop(Period, clock, () =>
        {
            var more = Interlocked.Decrement(ref left) > 0;
            ticked.Release();
            return more;
        });
        loop.Wake();
        for (var i = 1; i <= 3; i++)
        {
            clock.Advance(Period);
            Assert.That(await ticked.WaitAsync(Patience), Is.True, $"tick {i}");
        }
        Assert.That(() => loop.IsRunning, Is.False.After((int)Patience.TotalMilliseconds, 10), "stopped after the tick with nothing left");
        clock.Advance(Period * 10);
        Assert.That(ticked.CurrentCount, Is.Zero, "no tick once stopped");

        Volatile.Write(ref left, 1);
        loop.Wake();
        Assert.That(loop.IsRunning, Is.True);
        clock.Advance(Period);
        Assert.That(await ticked.WaitAsync(Patience), Is.True, "woken again, it ticks again");
    }

    [TestCase(1)]
    [TestCase(5)]
    public async Task WokenWhileItsLastTickRuns_TicksOnceMore_ThenStops_AndAWakeAfterStartsItAgain(int wakes)
    {
        // Work added after the tick looked and before the loop could end (a connection arriving just then) is not
        // lost. The wakes after the first find the loop running and woken: they return without the lock, and must
        // neither lose the work nor keep a stopped loop from starting again.
        var clock = new FakeTimeProvider();
        using var ticked = new SemaphoreSlim(0);
        var calls = 0;
        PeriodicLoop? loop = null;
        loop = new PeriodicLoop(Period, clock, () =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                for (var i = 0; i < wakes; i++)
                {
                    loop!.Wake();
                }
            }
            ticked.Release();
            return false;
        });
        await using (loop)
        {
            loop.Wake();
            clock.Advance(Period);
            Assert.That(await ticked.WaitAsync(Patience), Is.True, "first tick");
            clock.Advance(Period);
            Assert.That(await ticked.WaitAsync(Patience), Is.True, "a second tick: the wakes during the first counted");
            Assert.That(() => loop.IsRunning, Is.False.After((int)Patience.TotalMilliseconds, 10), "then it stops");
            clock.Advance(Period * 5);
            Assert.That(Volatile.Read(ref calls), Is.EqualTo(2), "no third tick once stopped");
            loop.Wake();
            Assert.That(loop.IsRunning, Is.True, "a wake after the stop starts it again");
            clock.Advance(Period);
            Assert.That(await ticked.WaitAsync(Patience), Is.True, "and it ticks");
        }
    }

    [Test]
    public async Task Disposed_StopsAndIsNotWokenAgain()
    {
        var clock = new FakeTimeProvider();
        var loop = new PeriodicLoop(Period, clock, () => true);
        loop.Wake();
        Assert.That(loop.IsRunning, Is.True);
        await loop.DisposeAsync().AsTask().WaitAsync(Patience);
        Assert.That(loop.IsRunning, Is.False);
        loop.Wake();
        Assert.That(loop.IsRunning, Is.False);
    }
}
