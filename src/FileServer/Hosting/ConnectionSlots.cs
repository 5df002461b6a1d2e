namespace FileServer.Hosting;

/// <summary>
/// The connection limit: a slot taken for every connection started and given back when it ends. Below the limit
/// taking and giving back are one atomic operation each; only an accept loop at the limit waits.
/// </summary>
/// <remarks>
/// A <see cref="SemaphoreSlim"/> took a lock for both, twice per connection in a connection-per-request load, although
/// nearly always a slot is free.
/// </remarks>
internal sealed class ConnectionSlots : IDisposable
{
    private readonly SemaphoreSlim _given = new(0);
    private int _free;
    private int _waiting;

    /// <summary>A limit of <paramref name="count"/> connections at once.</summary>
    public ConnectionSlots(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _free = count;
    }

    /// <summary>Slots free now.</summary>
    public int Free => Volatile.Read(ref _free);

    /// <summary>Takes a slot, waiting for one to be given back if none is free.</summary>
    public ValueTask TakeAsync(CancellationToken cancellationToken) =>
        TryTake() ? ValueTask.CompletedTask : WaitAsync(cancellationToken);

    /// <summary>Gives a slot back, to a waiting taker if there is one.</summary>
    public void Give()
    {
        Interlocked.Increment(ref _free);
        // After the increment: a taker that starts waiting from here on finds the slot itself (it counts itself
        // waiting before it looks), and one that waits already is woken.
        if (Volatile.Read(ref _waiting) > 0)
        {
            _given.Release();
        }
    }

    private bool TryTake()
    {
        var free = Volatile.Read(ref _free);
        while (free > 0)
        {
            var seen = Interlocked.CompareExchange(ref _free, free - 1, free);
            if (seen == free)
            {
                return true;
            }
            free = seen;
        }
        return false;
    }

    /// <summary>Releases the wait's semaphore; call once no accept loop runs.</summary>
    public void Dispose() => _given.Dispose();

    private async ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            // A wake-up may find the slot taken by another taker (or be left over from one): look again and wait again.
            while (!TryTake())
            {
                await _given.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }
}
