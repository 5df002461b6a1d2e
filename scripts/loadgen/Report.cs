using System.Globalization;

namespace LoadGen;

/// <summary>Prints the summary as <c>key=value</c> lines on stdout (what scripts/stress.sh parses).</summary>
internal static class Report
{
    public static void Put(string key, string value) => Console.Out.WriteLine($"{key}={value}");

    public static void Put(string key, long value) => Put(key, value.ToString(CultureInfo.InvariantCulture));

    public static void Put(string key, double value) => Put(key, Format(value));

    public static string Format(double value) =>
        double.IsNaN(value) ? "-" : value.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Puts min, median, p90 and max of <paramref name="values"/> under <c>PREFIX_min</c> etc. ("-" when empty).</summary>
    public static void Distribution(string prefix, IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        Put(prefix + "_min", sorted.Length == 0 ? double.NaN : sorted[0]);
        Put(prefix + "_median", Percentile(sorted, 0.5));
        Put(prefix + "_p90", Percentile(sorted, 0.9));
        Put(prefix + "_max", sorted.Length == 0 ? double.NaN : sorted[^1]);
    }

    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }

    /// <summary>Error kinds with counts, most frequent first: <c>ConnectionReset:3,TimedOut:1</c>.</summary>
    public static string Tally(IEnumerable<string> kinds)
    {
        var text = string.Join(',', kinds.GroupBy(k => k, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).Select(g => $"{g.Key}:{g.Count()}"));
        return text.Length == 0 ? "-" : text;
    }
}
