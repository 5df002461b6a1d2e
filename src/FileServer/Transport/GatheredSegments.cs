using System.Buffers;
using System.Runtime.InteropServices;

namespace FileServer.Transport;

/// <summary>
/// The segments of queued bytes as one list for a gathered send (<c>sendmsg</c>), reused from one send to the next, and
/// trimmed by what a partial send took.
/// </summary>
internal sealed class GatheredSegments
{
    private readonly List<ArraySegment<byte>> _segments = new(4);

    /// <summary>The list, filled with the segments of <paramref name="buffer"/> (array-backed, as the queue's are).</summary>
    public List<ArraySegment<byte>> Of(ReadOnlySequence<byte> buffer)
    {
        _segments.Clear();
        foreach (var segment in buffer)
        {
            if (!MemoryMarshal.TryGetArray(segment, out var array))
            {
                throw new InvalidOperationException("pipe memory is expected to be array-backed");
            }
            _segments.Add(array);
        }
        return _segments;
    }

    /// <summary>Drops the first <paramref name="sent"/> bytes from <paramref name="gather"/>.</summary>
    public static void Trim(List<ArraySegment<byte>> gather, int sent)
    {
        while (sent > 0)
        {
            var first = gather[0];
            if (sent >= first.Count)
            {
                sent -= first.Count;
                gather.RemoveAt(0);
            }
            else
            {
                gather[0] = first[sent..];
                sent = 0;
            }
        }
    }
}
