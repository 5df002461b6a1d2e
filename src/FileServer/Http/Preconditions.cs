namespace FileServer.Http;

/// <summary>
/// Conditional requests, evaluated in the order RFC 9110 §13.2.2 prescribes for an origin server:
/// <list type="number">
/// <item>If-Match present: false → 412.</item>
/// <item>Else If-Unmodified-Since present: false → 412.</item>
/// <item>If-None-Match present: false → 304 for GET/HEAD, else 412.</item>
/// <item>Else (GET/HEAD) If-Modified-Since present: false → 304.</item>
/// <item>(GET with Range) If-Range present: false → ignore Range (see <see cref="RangeApplies"/>).</item>
/// </list>
/// </summary>
internal static class Preconditions
{
    /// <summary>
    /// Evaluates steps 1–4 for the selected representation's validators; without <paramref name="lastModified"/>
    /// (a representation that has none, such as a listing) the date conditions are ignored, as §13.1.3 and §13.1.4 ask.
    /// </summary>
    public static PreconditionOutcome Evaluate(string method, RequestHeaders headers, EntityTag current, DateTimeOffset? lastModified)
    {
        var isGetOrHead = method is "GET" or "HEAD";
        var modified = lastModified is { } known ? HttpDate.TruncateToSeconds(known) : DateTimeOffset.MinValue;

        // Step 1 (§13.1.1): true if "*" or any listed tag matches strongly; an unparsable list matches nothing.
        if (headers.GetCombined("If-Match") is { } ifMatch)
        {
            if (!(EntityTagList.TryParse(ifMatch, out var list) && list.MatchesStrongly(current)))
            {
                return PreconditionOutcome.PreconditionFailed;
            }
        }
        // Step 2 (§13.1.4): only without If-Match; an invalid date (two field lines make one) is ignored.
        else if (lastModified is not null && HttpDate.TryParse(headers.GetSingle("If-Unmodified-Since"), out var unmodifiedSince) && modified > unmodifiedSince)
        {
            return PreconditionOutcome.PreconditionFailed;
        }

        // Step 3 (§13.1.2): false if "*" or any listed tag matches weakly; an unparsable list is ignored.
        if (headers.GetCombined("If-None-Match") is { } ifNoneMatch)
        {
            if (EntityTagList.TryParse(ifNoneMatch, out var list) && list.MatchesWeakly(current))
            {
                return isGetOrHead ? PreconditionOutcome.NotModified : PreconditionOutcome.PreconditionFailed;
            }
        }
        // Step 4 (§13.1.3): only without If-None-Match, only for GET/HEAD; an invalid date (two field lines make one,
        // "more than one member") is ignored.
        else if (isGetOrHead && lastModified is not null && HttpDate.TryParse(headers.GetSingle("If-Modified-Since"), out var modifiedSince) && modified <= modifiedSince)
        {
            return PreconditionOutcome.NotModified;
        }

        return PreconditionOutcome.Proceed;
    }

    /// <summary>
    /// Step 5 (§13.1.5): whether a Range applies. Without If-Range it does. With it, only when the validator
    /// matches: an entity-tag by strong comparison, or an HTTP-date equal to Last-Modified that is a strong
    /// validator. Anything else — a weak tag, another date, a date that is only weak, two If-Range lines,
    /// garbage — means the client's copy may be another version: send the whole representation.
    /// </summary>
    /// <remarks>
    /// A Last-Modified date is weak unless the server can tell the file did not change twice within its second
    /// (§8.8.2.2). A server cannot know that for sure with one-second dates; the heuristic here (Apache marks its
    /// ETags weak the same way) treats the date as weak while the file is less than a second old
    /// (<paramref name="now"/> under one second past <paramref name="lastModified"/>, at full precision): a client
    /// may then hold a version written earlier in that same second, and a range of the new one would splice two
    /// versions together. It cannot catch a client that kept such a date and comes back later; a strong ETag can.
    /// </remarks>
    public static bool RangeApplies(RequestHeaders headers, EntityTag current, DateTimeOffset lastModified, DateTimeOffset now)
    {
        if (headers.CountOf("If-Range") == 0)
        {
            return true;
        }
        var ifRange = headers.GetSingle("If-Range");
        if (ifRange is null)
        {
            return false;
        }
        var value = ifRange.Trim();
        if (value.StartsWith('"') || value.StartsWith("W/", StringComparison.Ordinal))
        {
            return EntityTagList.TryParse(value, out var list) && list.Tags.Count == 1 && list.Tags[0].StrongEquals(current);
        }
        return HttpDate.TryParse(value, out var date) && date == HttpDate.TruncateToSeconds(lastModified)
            && now - lastModified >= TimeSpan.FromSeconds(1);
    }
}
