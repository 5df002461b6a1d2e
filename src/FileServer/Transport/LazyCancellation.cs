namespace FileServer.Transport;

/// <summary>
/// A cancellation token whose source is made only when someone asks for the token: most connections never do, and a
/// <see cref="CancellationTokenSource"/> each would be an allocation per connection for nothing. Cancelled once; safe
/// to ask from any thread, before or after the cancellation. A struct, held in a (non-readonly) field and never copied:
/// no allocation of its own either.
/// </summary>
internal struct LazyCancellation : IDisposable
{
    private CancellationTokenSource? _source;
    private int _cancelled;

    /// <summary>The token: cancelled already if <see cref="Cancel"/> has run.</summary>
    public CancellationToken Token
    {
        get
        {
            if (Volatile.Read(ref _cancelled) != 0)
            {
                return new CancellationToken(canceled: true);
            }
            var source = Volatile.Read(ref _source);
            if (source is null)
            {
                var created = new CancellationTokenSource();
                source = Interlocked.CompareExchange(ref _source, created, null) ?? created;
                if (!ReferenceEquals(source, created))
                {
                    created.Dispose();
                }
            }
            // A cancellation between the check above and the source's creation found no source to cancel.
            if (Volatile.Read(ref _cancelled) != 0)
            {
                source.Cancel();
            }
            return source.Token;
        }
    }

    /// <summary>Cancels the token, once; later calls do nothing.</summary>
    public void Cancel()
    {
        if (Interlocked.Exchange(ref _cancelled, 1) == 0)
        {
            Volatile.Read(ref _source)?.Cancel();
        }
    }

    /// <summary>Releases the source, if one was made.</summary>
    public void Dispose() => _source?.Dispose();
}
