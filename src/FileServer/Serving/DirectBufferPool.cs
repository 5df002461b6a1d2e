namespace FileServer.Serving;

/// <summary>
/// A fixed number of chunk-sized buffers for the copy loop's direct sends, shared by all connections. A direct send
/// holds its buffer for one read and one send to a socket that had room for it, so a few suffice for any number of
/// connections; when all are out the caller takes the queued path instead, so this memory never grows with the load.
/// </summary>
internal sealed class DirectBufferPool
{
    private readonly byte[]?[] _slots;
    private readonly int _bufferSize;
    private int _created;

    /// <summary>Creates a pool of at most <paramref name="capacity"/> buffers of <paramref name="bufferSize"/> bytes, made on first use.</summary>
    public DirectBufferPool(int bufferSize, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 0);
        _bufferSize = bufferSize;
        _slots = new byte[capacity][];
    }

    /// <summary>A free buffer, or null when all are in use.</summary>
    public byte[]? TryRent()
    {
        for (var i = 0; i < _slots.Length; i++)
        {
            if (Interlocked.Exchange(ref _slots[i], null) is { } buffer)
            {
                return buffer;
            }
        }
        if (Interlocked.Increment(ref _created) <= _slots.Length)
        {
            return new byte[_bufferSize];
        }
        Interlocked.Decrement(ref _created);
        return null;
    }

    /// <summary>Gives back a buffer from <see cref="TryRent"/>.</summary>
    public void Return(byte[] buffer)
    {
        for (var i = 0; i < _slots.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _slots[i], buffer, null) is null)
            {
                return;
            }
        }
        throw new InvalidOperationException("more buffers returned than were rented");
    }
}
