namespace FileServer.Serving;

/// <summary>One piece of a response: bytes from memory (a head, part headers) or a range of the file.</summary>
internal readonly record struct BodySegment
{
    private BodySegment(ReadOnlyMemory<byte> bytes, long fileOffset, long fileCount)
    {
        Bytes = bytes;
        FileOffset = fileOffset;
        FileCount = fileCount;
    }

    /// <summary>In-memory bytes; empty for a file range.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>Offset of the file range.</summary>
    public long FileOffset { get; }

    /// <summary>Length of the file range; 0 for in-memory bytes.</summary>
    public long FileCount { get; }

    /// <summary>Whether this segment is a file range.</summary>
    public bool IsFileRange => FileCount > 0;

    /// <summary>A segment of in-memory bytes.</summary>
    public static BodySegment FromBytes(ReadOnlyMemory<byte> bytes) => new(bytes, 0, 0);

    /// <summary>A segment of <paramref name="count"/> file bytes from <paramref name="offset"/>.</summary>
    public static BodySegment FromFile(long offset, long count) => new(ReadOnlyMemory<byte>.Empty, offset, count);
}
