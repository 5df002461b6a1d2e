namespace FileServer.Http;

/// <summary>What a Range header field asks of a representation, after parsing (RFC 9110 §14.2).</summary>
internal enum RangeSetKind
{
    /// <summary>No usable Range: absent, another unit, unparsable, or refused as abusive. Send the whole representation (200).</summary>
    Ignored,
    /// <summary>Syntactically valid, but no range overlaps the representation: 416.</summary>
    Unsatisfiable,
    /// <summary>One or more satisfiable ranges: 206.</summary>
    Satisfiable,
}

/// <summary>The parsed Range of one request against one representation length.</summary>
/// <param name="Kind">Whether to ignore, refuse or honour the Range.</param>
/// <param name="Ranges">The ranges to send, for <see cref="RangeSetKind.Satisfiable"/>; otherwise empty.</param>
internal sealed record RangeSet(RangeSetKind Kind, IReadOnlyList<ByteRange> Ranges)
{
    /// <summary>Send the whole representation.</summary>
    public static RangeSet Ignored { get; } = new(RangeSetKind.Ignored, []);

    /// <summary>Answer 416.</summary>
    public static RangeSet Unsatisfiable { get; } = new(RangeSetKind.Unsatisfiable, []);
}
