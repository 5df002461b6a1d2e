using System.Globalization;

namespace FileServer.Http;

/// <summary>
/// Parses a Range header field (RFC 9110 §14.1.1) against a representation of a known length:
/// <code>
/// Range          = ranges-specifier
/// ranges-specifier = range-unit "=" range-set
/// range-set      = 1#range-spec
/// range-spec     = int-range / suffix-range / other-range
/// int-range      = first-pos "-" [ last-pos ]
/// suffix-range   = "-" suffix-length
/// </code>
/// Guards against amplification: more than <see cref="MaxRanges"/> range-specs, or ranges adding up to more
/// than the representation, are ignored (whole representation, 200); ranges that overlap are coalesced
/// (§15.3.7.2 allows it). A response never carries more file bytes than the file has.
/// </summary>
internal static class ByteRangeParser
{
    /// <summary>Most range-specs honoured in one request; Apache's default <c>MaxRanges</c> is 200, ours is stricter.</summary>
    public const int MaxRanges = 32;

    private static readonly System.Buffers.SearchValues<char> Digits = System.Buffers.SearchValues.Create("0123456789");

    /// <summary>Parses <paramref name="fieldValue"/> for a representation of <paramref name="length"/> bytes.</summary>
    public static RangeSet Parse(string? fieldValue, long length)
    {
        // An empty representation has no range a 206 could describe (RFC 9110 §14.1.2 notes that only a
        // suffix-range could be satisfiable, and it would still be empty): send it whole, like nginx.
        if (fieldValue is null || length == 0)
        {
            return RangeSet.Ignored;
        }
        var text = fieldValue.AsSpan().Trim(" \t");
        var equals = text.IndexOf('=');
        // §14.2: an origin server MUST ignore a Range with a unit it does not understand.
        if (equals < 0 || !text[..equals].Trim(" \t").Equals("bytes", StringComparison.OrdinalIgnoreCase))
        {
            return RangeSet.Ignored;
        }

        var set = text[(equals + 1)..];
        var satisfiable = new List<ByteRange>();
        var specs = 0;
        foreach (var part in set.Split(','))
        {
            var spec = set[part].Trim(" \t");
            if (spec.IsEmpty)
            {
                // §5.6.1.2: a recipient MUST accept (and ignore) empty list elements.
                continue;
            }
            if (++specs > MaxRanges)
            {
                return RangeSet.Ignored;
            }
            if (!TryParseSpec(spec, length, out var range, out var isSatisfiable))
            {
                // An invalid range-spec makes the whole ranges-specifier invalid: ignore the field.
                return RangeSet.Ignored;
            }
            if (isSatisfiable)
            {
                satisfiable.Add(range);
            }
        }
        if (specs == 0)
        {
            return RangeSet.Ignored;
        }
        if (satisfiable.Count == 0)
        {
            return RangeSet.Unsatisfiable;
        }
        if (AddsUpToMoreThan(satisfiable, length))
        {
            // More bytes asked for than the file holds: an attack or a confused client. Like Go's net/http and
            // nginx, send the whole representation once instead.
            return RangeSet.Ignored;
        }
        return new RangeSet(RangeSetKind.Satisfiable, HasOverlap(satisfiable) ? Coalesce(satisfiable) : satisfiable);
    }

    // Without overflow: 32 ranges of a file past 2^58 bytes (a sparse file can be one) would overflow a long sum,
    // and LINQ's checked Sum threw (found by scripts/fuzz.sh).
    private static bool AddsUpToMoreThan(List<ByteRange> ranges, long length)
    {
        var left = length;
        foreach (var range in ranges)
        {
            left -= range.Length;
            if (left < 0)
            {
                return true;
            }
        }
        return false;
    }

    private static bool TryParseSpec(ReadOnlySpan<char> spec, long length, out ByteRange range, out bool satisfiable)
    {
        range = default;
        satisfiable = false;
        var dash = spec.IndexOf('-');
        if (dash < 0)
        {
            return false;
        }
        var first = spec[..dash];
        var last = spec[(dash + 1)..];
        if (first.IsEmpty)
        {
            // suffix-range: the last N bytes; satisfiable when N > 0 (§14.1.1).
            if (!TryParseDigits(last, out var suffix))
            {
                return false;
            }
            satisfiable = suffix > 0;
            if (satisfiable)
            {
                var count = Math.Min(suffix, length);
                range = new ByteRange(length - count, count);
            }
            return true;
        }

        if (!TryParseDigits(first, out var start))
        {
            return false;
        }
        var end = long.MaxValue;
        if (!last.IsEmpty)
        {
            if (!TryParseDigits(last, out end) || end < start)
            {
                // §14.1.1: an int-range with last-pos less than first-pos is invalid.
                return false;
            }
        }
        // An int-range is satisfiable when first-pos is below the length; last-pos is clamped to the end.
        satisfiable = start < length;
        if (satisfiable)
        {
            range = new ByteRange(start, Math.Min(end, length - 1) - start + 1);
        }
        return true;
    }

    private static bool TryParseDigits(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.ContainsAnyExcept(Digits))
        {
            return false;
        }
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            // More digits than a long holds: larger than any file, so clamp rather than reject.
            value = long.MaxValue;
        }
        return true;
    }

    private static bool HasOverlap(List<ByteRange> ranges)
    {
        if (ranges.Count < 2)
        {
            return false;
        }
        var sorted = ranges.OrderBy(r => r.Start).ToList();
        for (var i = 1; i < sorted.Count; i++)
        {
            if (sorted[i].Start <= sorted[i - 1].End)
            {
                return true;
            }
        }
        return false;
    }

    // Sorts and merges overlapping or touching ranges (§15.3.7.2), which also bounds the total to the length.
    private static List<ByteRange> Coalesce(List<ByteRange> ranges)
    {
        var merged = new List<ByteRange>();
        foreach (var range in ranges.OrderBy(r => r.Start))
        {
            if (merged.Count > 0 && range.Start <= merged[^1].End + 1)
            {
                var previous = merged[^1];
                var end = Math.Max(previous.End, range.End);
                merged[^1] = new ByteRange(previous.Start, end - previous.Start + 1);
            }
            else
            {
                merged.Add(range);
            }
        }
        return merged;
    }
}
