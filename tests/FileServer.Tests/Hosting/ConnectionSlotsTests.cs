using FileServer.Hosting;

namespace FileServer.Tests.Hosting;

/// <summary>The connection limit: a slot per connection, taken at once below the limit, waited for at it.</summary>
public sealed class ConnectionSlotsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Test]
    public async Task BelowTheLimit_TakesAtOnce_AndCountsWhatIsLeft()
    {
        using var slots = new ConnectionSlots(2);
        var first = slots.TakeAsync(CancellationToken.None).AsTask();
        Assert.That(first.IsCompletedSuccessfully, Is.True, "no wait below the limit");
        await slots.TakeAsync(CancellationToken.None);
        Assert.That(slots.Free, Is.Zero);
        slots.Give();
        Assert.That(slots.Free, Is.EqualTo(1));
    }

    [Test]
    public async Task AtTheLimit_WaitsUntilASlotIsGivenBack()
    {
        using var slots = new ConnectionSlots(1);
        await slots.TakeAsync(CancellationToken.None);
        var waiting = slots.TakeAsync(CancellationToken.None).AsTask();
        Assert.That(waiting.IsCompleted, Is.False);
        slots.Give();
        Assert.That(await Task.WhenAny(waiting, Task.Delay(Patience)), Is.SameAs(waiting), "the given slot went to the waiter");
        Assert.That(slots.Free, Is.Zero);
    }

    [Test]
    public async Task AWaitCancelled_TakesNoSlot()
    {
        using var slots = new ConnectionSlots(1);
        await slots.TakeAsync(CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var waiting = slots.TakeAsync(stop.Token).AsTask();
        await stop.CancelAsync();
        Assert.That(async () => await waiting, Throws.InstanceOf<OperationCanceledException>());
        slots.Give();
        Assert.That(slots.Free, Is.EqualTo(1), "the slot given back is free, not held by the cancelled wait");
    }

    [Test]
    public async Task ManyTakersAndGivers_NeverHoldMoreThanTheLimit_AndNoWaiterIsLeftBehind()
    {
        const int limit = 3, takers = 8, rounds = 2_000;
        using var slots = new ConnectionSlots(limit);
        var held = 0;
        var most = 0;
        var workers = Enumerable.Range(0, takers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < rounds; i++)
            {
                await slots.TakeAsync(CancellationToken.None);
                var now = Interlocked.Increment(ref held);
                InterlockedMax(ref most, now);
                Interlocked.Decrement(ref held);
                slots.Give();
            }
        })).ToArray();
        var all = Task.WhenAll(workers);
        Assert.That(await Task.WhenAny(all, Task.Delay(Patience * 3)), Is.SameAs(all), "every taker finished: no wake-up was lost");
        await all;
        Assert.That(most, Is.InRange(1, limit));
        Assert.That(slots.Free, Is.EqualTo(limit));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var before = Interlocked.CompareExchange(ref target, value, seen);
            if (before == seen)
            {
                return;
            }
            seen = before;
        }
    }
}
