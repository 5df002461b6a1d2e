using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using FileServer.Http;
using FileServer.Serving;

namespace FileServer.Fuzz;

/// <summary>
/// One entry per parser: each takes arbitrary bytes and throws only when the parser breaks its contract (an
/// exception other than a rejection, or a result that violates an invariant) — which the fuzzer reports as a crash.
/// Nothing here may run the server's code before the fuzzer starts (see <see cref="_headParser"/>).
/// </summary>
internal static class FuzzTargets
{
    // Made on first use, inside the fuzzer's run: instrumented code that runs before SharpFuzz has mapped AFL's
    // coverage memory crashes the process.
    private static RequestHeadParser? _headParser;

    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>
    {
        ["request-head"] = RequestHead,
        ["range"] = Range,
        ["target"] = Target,
        ["preconditions"] = ConditionalFields,
    };

    private static void RequestHead(byte[] input)
    {
        try
        {
            _headParser ??= new RequestHeadParser(RequestLimits.Default);
            if (_headParser.TryParse(new ReadOnlySequence<byte>(input), out var head, out var consumed))
            {
                Check(new ReadOnlySequence<byte>(input).Slice(0, consumed).Length <= input.Length, "consumed more than it was given");
                Check(head.ContentLength >= 0, "negative Content-Length");
            }
        }
        catch (HttpRequestRejectedException e)
        {
            Check(e.Status is (>= 400 and < 500) or 505, $"rejected with {e.Status}");
        }
    }

    // The first eight bytes are the representation's length, the rest the field value.
    private static void Range(byte[] input)
    {
        if (input.Length < 8)
        {
            return;
        }
        var length = BinaryPrimitives.ReadInt64LittleEndian(input) & long.MaxValue;
        var set = ByteRangeParser.Parse(Encoding.Latin1.GetString(input, 8, input.Length - 8), length);
        long total = 0;
        foreach (var range in set.Ranges)
        {
            Check(range.Start >= 0 && range.Length > 0 && range.Start + range.Length <= length, $"range {range} outside {length}");
            total += range.Length;
        }
        Check(total <= length, "more bytes than the file");
        Check(set.Ranges.Count <= ByteRangeParser.MaxRanges, "more ranges than allowed");
    }

    private static void Target(byte[] input)
    {
        if (!RequestTarget.TryParse(Encoding.Latin1.GetString(input), out var target))
        {
            return;
        }
        Check(target.RawPath.StartsWith('/'), "path without a leading slash");
        if (!PathSegments.TryDecode(target.RawPath, out var segments, out _, out _))
        {
            return;
        }
        foreach (var segment in segments)
        {
            Check(segment.Length > 0 && segment is not ("." or "..") && segment.IndexOfAny(['/', '\\', '\0']) < 0, $"unsafe segment '{segment}'");
        }
        var location = RedirectLocation.ForDirectory(segments, target.Query);
        Check(location.StartsWith('/') && !location.StartsWith("//", StringComparison.Ordinal) && !location.StartsWith("/\\", StringComparison.Ordinal),
            $"redirect to another authority: {location}");
    }

    // Field lines "Name: value" separated by LF, against a fixed tag and date.
    private static void ConditionalFields(byte[] input)
    {
        var headers = new RequestHeaders();
        foreach (var line in Encoding.Latin1.GetString(input).Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers.Add(line[..colon], line[(colon + 1)..].Trim());
            }
        }
        var tag = EntityTag.ForFile(1234, 5678);
        var modified = DateTimeOffset.FromUnixTimeSeconds(784_111_777);
        _ = Preconditions.Evaluate("GET", headers, tag, modified);
        _ = Preconditions.RangeApplies(headers, tag, modified, modified.AddSeconds(5));
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("invariant broken: " + what);
        }
    }
}
