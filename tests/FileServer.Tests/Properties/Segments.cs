using System.Buffers;

namespace FileServer.Tests.Properties;

/// <summary>A byte array as a multi-segment sequence, cut where a test says: how bytes arrive from a socket.</summary>
internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    /// <summary>Up to three segments, cut at <paramref name="a"/> and <paramref name="b"/> (in any order).</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, int a, int b)
    {
        var (first, second) = a <= b ? (a, b) : (b, a);
        var start = new Segments(bytes.AsMemory(0, first), 0);
        var middle = start.Append(bytes.AsMemory(first, second - first));
        var end = middle.Append(bytes.AsMemory(second));
        return new ReadOnlySequence<byte>(start, 0, end, end.Memory.Length);
    }

    private Segments Append(ReadOnlyMemory<byte> memory)
    {
        var next = new Segments(memory, RunningIndex + Memory.Length);
        Next = next;
        return next;
    }
}
