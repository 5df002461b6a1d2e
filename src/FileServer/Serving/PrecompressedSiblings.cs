using FileServer.Http;
using FileServer.Platform;

namespace FileServer.Serving;

/// <summary>What <see cref="PrecompressedSiblings.Choose"/> picked.</summary>
/// <param name="Sibling">The encoded sibling's lookup, when <paramref name="Coding"/> is set (the caller disposes it then, and only then).</param>
/// <param name="Coding">Its content coding (<c>br</c>, <c>zstd</c>, <c>gzip</c>), or null for the original's bytes.</param>
/// <param name="Varies">Whether the file has a usable sibling, so the response depends on <c>Accept-Encoding</c>.</param>
internal readonly record struct EncodingChoice(FileLookup Sibling, string? Coding, bool Varies);

/// <summary>
/// Serves <c>file.ext.br</c>, <c>.zst</c> or <c>.gz</c> in place of <c>file.ext</c> when the client accepts that
/// coding (nginx's <c>gzip_static</c>, Caddy's <c>precompressed</c>), in the server's order. A sibling older than its
/// original is stale and ignored; siblings are found beneath the root like any file, so the same link and dotfile
/// rules hold, and they go out zero-copy like any file. Only a request that accepts one of the codings costs the
/// lookups; a request without <c>Accept-Encoding</c> gets the original without <c>Vary</c>, as from nginx.
/// </summary>
internal sealed class PrecompressedSiblings
{
    private static readonly Dictionary<string, string> Extensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["br"] = ".br",
        ["zstd"] = ".zst",
        ["gzip"] = ".gz",
    };

    private readonly IReadOnlyList<string> _order;
    private readonly IFileRoot _root;

    /// <summary>Looks siblings up beneath <paramref name="root"/>, preferring codings in <paramref name="order"/>.</summary>
    public PrecompressedSiblings(IReadOnlyList<string> order, IFileRoot root)
    {
        _order = order;
        _root = root;
    }

    /// <summary>
    /// Reads <c>--precompressed</c>: codings separated by commas, most preferred first (<c>br,zstd,gzip</c>), or
    /// <c>none</c>.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown coding, or one named twice.</exception>
    public static IReadOnlyList<string> ParseOrder(string spec)
    {
        if (spec.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }
        var order = spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(c => c.ToLowerInvariant()).ToList();
        if (order.Count == 0 || order.Any(c => !Extensions.ContainsKey(c)) || order.Distinct().Count() != order.Count)
        {
            throw new ArgumentException($"--precompressed '{spec}': expected codings from br, zstd, gzip separated by commas, or none");
        }
        return order;
    }

    /// <summary>Picks the bytes to send for <paramref name="original"/> (a regular file) under the request's <c>Accept-Encoding</c>.</summary>
    /// <exception cref="IOException">A lookup failed for a reason not the client's.</exception>
    public EncodingChoice Choose(in FileLookup original, RequestHeaders headers)
    {
        if (_order.Count == 0 || headers.GetCombined("Accept-Encoding") is not { Length: > 0 } accept || !AcceptsAny(accept))
        {
            return default;
        }
        var varies = false;
        FileLookup best = default;
        string? bestCoding = null;
        // A coding the client likes less than the plain bytes is not served (gzip;q=0.5, identity).
        var bestQuality = Math.Max(AcceptEncoding.IdentityQuality(accept), double.Epsilon);
        var atLeastIdentity = true;
        for (var i = 0; i < _order.Count; i++)
        {
            var coding = _order[i];
            FileLookup sibling;
            try
            {
                sibling = _root.Find(original.RelativePath + Extensions[coding]);
            }
            catch (IOException)
            {
                if (bestCoding is not null)
                {
                    best.Dispose();
                }
                throw;
            }
            if (sibling.Outcome != LookupOutcome.Found || sibling.Status.Kind != FileKind.Regular
                || sibling.Status.ModifiedUnixNanoseconds < original.Status.ModifiedUnixNanoseconds)
            {
                sibling.Dispose();
                continue;
            }
            varies = true;
            // The client's preference first; among equals, the server's order (the first found).
            var quality = AcceptEncoding.Quality(accept, coding);
            if (atLeastIdentity ? quality >= bestQuality : quality > bestQuality)
            {
                if (bestCoding is not null)
                {
                    best.Dispose();
                }
                (best, bestCoding, bestQuality, atLeastIdentity) = (sibling, coding, quality, false);
            }
            else
            {
                sibling.Dispose();
            }
        }
        return new EncodingChoice(best, bestCoding, varies);
    }

    // A loop, not a lambda: a lambda capturing the header made the compiler allocate its closure on every request
    // that reached Choose, with an Accept-Encoding or not (24 B a request); an index, not the list's boxed enumerator.
    private bool AcceptsAny(string accept)
    {
        for (var i = 0; i < _order.Count; i++)
        {
            if (AcceptEncoding.Quality(accept, _order[i]) > 0)
            {
                return true;
            }
        }
        return false;
    }
}
