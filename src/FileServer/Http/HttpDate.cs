using System.Globalization;

namespace FileServer.Http;

/// <summary>HTTP-date formatting and parsing (RFC 9110 §5.6.7).</summary>
internal static class HttpDate
{
    // A sender MUST generate IMF-fixdate; a recipient MUST accept all three formats.
    private static readonly string[] AcceptedFormats =
    [
        "ddd, dd MMM yyyy HH:mm:ss 'GMT'",  // IMF-fixdate:  Sun, 06 Nov 1994 08:49:37 GMT
        "dddd, dd-MMM-yy HH:mm:ss 'GMT'",   // rfc850-date:  Sunday, 06-Nov-94 08:49:37 GMT
        "ddd MMM d HH:mm:ss yyyy",          // asctime-date: Sun Nov  6 08:49:37 1994 (after folding double spaces)
        "ddd MMM dd HH:mm:ss yyyy",
    ];

    /// <summary>Formats <paramref name="time"/> as an IMF-fixdate, truncated to whole seconds.</summary>
    public static string Format(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture);

    /// <summary>Parses any of the three HTTP-date formats; false for anything else.</summary>
    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var trimmed = text.Trim();
        if (trimmed.Contains("  ", StringComparison.Ordinal))
        {
            // asctime pads a one-digit day with a space: "Nov  6".
            trimmed = trimmed.Replace("  ", " ", StringComparison.Ordinal);
        }
        if (!DateTime.TryParseExact(trimmed, AcceptedFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return false;
        }
        // rfc850's two-digit year: RFC 9110 §5.6.7 says a year more than 50 years in the future is in the past century.
        // .NET's two-digit-year window (1930–2029 by default) is close enough and never produces a far-future date.
        value = new DateTimeOffset(parsed, TimeSpan.Zero);
        return true;
    }

    /// <summary>Truncates to whole seconds, the precision of an HTTP-date.</summary>
    public static DateTimeOffset TruncateToSeconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
