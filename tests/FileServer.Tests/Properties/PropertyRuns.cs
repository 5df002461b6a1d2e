using CsCheck;

namespace FileServer.Tests.Properties;

/// <summary>
/// How the property tests run: a fixed number of cases each (seconds in all, always in the test command), and
/// a line per property with how many ran, for the record. A failure prints CsCheck's seed, which replays it.
/// </summary>
internal static class PropertyRuns
{
    /// <summary>Cases per property; FILESERVER_PROPERTY_ITERATIONS raises it for a long run.</summary>
    public static long Iterations { get; } =
        long.TryParse(Environment.GetEnvironmentVariable("FILESERVER_PROPERTY_ITERATIONS"), out var n) && n > 0 ? n : 20_000;

    /// <summary>Samples <paramref name="gen"/> and checks <paramref name="property"/> on each case.</summary>
    public static void Check<T>(Gen<T> gen, Action<T> property, Func<T, string>? print = null)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        gen.Sample(property, iter: Iterations, threads: 1, print: print);
        TestContext.Out.WriteLine($"property: {Iterations} cases in {started.Elapsed.TotalSeconds:0.00} s");
    }

    /// <summary>Shows control characters, so a failing case prints on one readable line.</summary>
    public static string Visible(string text) =>
        string.Concat(text.Select(c => c is < ' ' or > '~' ? $"\\u{(int)c:x4}" : c.ToString()));
}
