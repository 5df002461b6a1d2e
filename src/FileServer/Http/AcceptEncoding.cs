using System.Globalization;

namespace FileServer.Http;

/// <summary>
/// RFC 9110 §12.5.3 <c>Accept-Encoding</c>: the q-value the client gives a content coding. A coding listed gets its
/// own q; one not listed gets the q of <c>*</c>, or 0 without it; <c>x-gzip</c> is <c>gzip</c> (§8.4.1.3).
/// </summary>
internal static class AcceptEncoding
{
    /// <summary>The client's q-value for <paramref name="coding"/> under <paramref name="accept"/> (the combined field value).</summary>
    public static double Quality(string accept, string coding)
    {
        double? exact = null, any = null;
        foreach (var member in accept.Split(','))
        {
            var parts = member.Split(';');
            var name = parts[0].Trim();
            if (name.Length == 0)
            {
                continue;
            }
            var q = 1.0;
            foreach (var parameter in parts.AsSpan(1))
            {
                var p = parameter.Trim();
                if (p.StartsWith("q=", StringComparison.OrdinalIgnoreCase)
                    && double.TryParse(p.AsSpan(2), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed))
                {
                    q = Math.Clamp(parsed, 0, 1);
                }
            }
            if (Same(name, coding))
            {
                exact = Math.Max(exact ?? 0, q);
            }
            else if (name == "*")
            {
                any = q;
            }
        }
        return exact ?? any ?? 0;
    }

    /// <summary>
    /// The q-value of the original bytes, <c>identity</c>: its own when listed, else that of <c>*</c>, else 1 (§12.5.3:
    /// identity is acceptable unless the field excludes it).
    /// </summary>
    public static double IdentityQuality(string accept)
    {
        var listed = false;
        var any = (double?)null;
        var own = 1.0;
        foreach (var member in accept.Split(','))
        {
            var name = member.Split(';')[0].Trim();
            if (name.Equals("identity", StringComparison.OrdinalIgnoreCase))
            {
                listed = true;
                own = Quality(accept, "identity");
            }
            else if (name == "*")
            {
                any = Quality(accept, "*");
            }
        }
        return listed ? own : any ?? 1.0;
    }

    private static bool Same(string listed, string coding) =>
        listed.Equals(coding, StringComparison.OrdinalIgnoreCase)
        || (coding == "gzip" && listed.Equals("x-gzip", StringComparison.OrdinalIgnoreCase));
}
