using System.Globalization;
using FileServer.Http;

namespace FileServer.Serving;

/// <summary>The column a listing is sorted by.</summary>
internal enum ListingSort
{
    /// <summary>By name (ordinal, case-insensitive first).</summary>
    Name,
    /// <summary>By size in bytes.</summary>
    Size,
    /// <summary>By modification time.</summary>
    Time,
}

/// <summary>
/// What a listing request asks for: the sort order from the query (<c>?sort=size&amp;order=desc</c>, so sorting
/// works without JavaScript) and HTML or JSON, from <c>?format=json</c> or the <c>Accept</c> field.
/// </summary>
/// <param name="Sort">The column.</param>
/// <param name="Descending">Whether the order is reversed.</param>
/// <param name="Json">Whether the listing is sent as JSON.</param>
internal readonly record struct ListingQuery(ListingSort Sort, bool Descending, bool Json)
{
    /// <summary>Reads the query (with its <c>?</c>, or empty) and the request's <c>Accept</c> field; unknown values fall back to the defaults.</summary>
    public static ListingQuery Parse(string query, RequestHeaders headers)
    {
        var sort = ListingSort.Name;
        var descending = false;
        bool? json = null;
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? "" : pair[(equals + 1)..];
            switch (key)
            {
                case "sort":
                    sort = value switch { "size" => ListingSort.Size, "time" => ListingSort.Time, _ => ListingSort.Name };
                    break;
                case "order":
                    descending = value == "desc";
                    break;
                case "format":
                    json = value == "json";
                    break;
            }
        }
        return new ListingQuery(sort, descending, json ?? PrefersJson(headers.GetCombined("Accept")));
    }

    /// <summary>The query that asks for this order, for a column heading's link.</summary>
    public static string Link(ListingSort sort, bool descending) =>
        $"?sort={sort.ToString().ToLowerInvariant()}&order={(descending ? "desc" : "asc")}";

    // RFC 9110 §12.5.1: each type gets the q-value of the most specific range that matches it; JSON only when it
    // ranks above HTML (a browser lists text/html and reaches JSON only through */*, with less).
    private static bool PrefersJson(string? accept)
    {
        if (accept is null)
        {
            return false;
        }
        return Quality(accept, "application", "json") > Quality(accept, "text", "html");
    }

    private static double Quality(string accept, string type, string subtype)
    {
        var best = -1.0;
        var specificity = -1;
        foreach (var range in accept.Split(','))
        {
            var parts = range.Split(';');
            var slash = parts[0].Trim().Split('/');
            if (slash.Length != 2)
            {
                continue;
            }
            var (rangeType, rangeSubtype) = (slash[0].Trim(), slash[1].Trim());
            var rank = rangeType.Equals(type, StringComparison.OrdinalIgnoreCase)
                ? rangeSubtype.Equals(subtype, StringComparison.OrdinalIgnoreCase) ? 2 : rangeSubtype == "*" ? 1 : -1
                : rangeType == "*" && rangeSubtype == "*" ? 0 : -1;
            if (rank <= specificity)
            {
                continue;
            }
            specificity = rank;
            best = 1.0;
            foreach (var parameter in parts.Skip(1))
            {
                var p = parameter.Trim();
                if (p.StartsWith("q=", StringComparison.OrdinalIgnoreCase) &&
                    double.TryParse(p.AsSpan(2), NumberStyles.Float, CultureInfo.InvariantCulture, out var q))
                {
                    best = Math.Clamp(q, 0, 1);
                }
            }
        }
        return Math.Max(best, 0);
    }
}
