namespace FileServer.Hosting;

/// <summary>
/// Counters of one server run: requests served, and managed bytes allocated since the first request, so the
/// steady-state allocation per request can be read off at stop (start-up allocations are left out).
/// </summary>
internal sealed class ServerStatistics
{
    private long _requests;
    private long _allocatedAtFirstRequest = -1;

    /// <summary>Requests answered so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Counts one answered request.</summary>
    public void RequestServed()
    {
        if (Interlocked.Increment(ref _requests) == 1)
        {
            Interlocked.Exchange(ref _allocatedAtFirstRequest, GC.GetTotalAllocatedBytes(precise: false));
        }
    }

    /// <summary>Managed bytes allocated per request since the first one; null before two requests.</summary>
    public long? AllocatedBytesPerRequest()
    {
        var requests = Requests;
        var since = Interlocked.Read(ref _allocatedAtFirstRequest);
        return requests < 2 || since < 0 ? null : (GC.GetTotalAllocatedBytes(precise: true) - since) / (requests - 1);
    }
}
