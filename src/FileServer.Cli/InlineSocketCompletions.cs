using System.Globalization;

namespace FileServer.Cli;

/// <summary>
/// Runs the command line's server as an event loop: .NET's inline socket completions, with one socket engine thread
/// per core, each answering the requests whose bytes it saw arrive, as nginx's workers (one per core) do.
/// </summary>
/// <remarks>
/// <para>
/// By default one engine thread hands every ready socket to the thread pool: a thread wake-up and a context switch
/// per request, which nginx's loop does not pay. Measured on 2 cores beside nginx (docs/performance.md): 4 KiB
/// keep-alive at ten connections 0.84× → 1.08×, p99 0.88× → 0.31×; 4 KiB requests beside four cold downloads
/// 0.81× → 1.09×, p99 0.64× → 0.38×.
/// </para>
/// <para>
/// One engine per core, not per two: on a second machine, with the processor saturated by four cold downloads beside
/// them, the 4 KiB requests of one engine got one thread's share of two cores (0.85× nginx's requests/s, 24 rotated
/// passes) and of two engines 1.32× (the downloads 1.10× → 0.99×); at ten keep-alive connections the p99 rose from
/// 0.44× to 1.21× nginx's, within the goal of 1.5× (docs/performance.md, "Cold files on the second machine").
/// </para>
/// <para>
/// Work that can run long before its first wait hops to the pool (<c>ThreadPoolHop</c>), and only a plain
/// connection's reads resume inline, while few connections are open (<c>ReadResumption</c>: beyond that one thread is
/// one core, and the pool's threads do more). .NET reads both variables once, when the first socket is made: this must run
/// before any. An application that hosts FileServer itself can set the same two variables.
/// </para>
/// </remarks>
internal static class InlineSocketCompletions
{
    /// <summary>The runtime's switch for running socket continuations on the engine threads ("1").</summary>
    public const string InlineVariable = FileServer.Transport.SocketEngines.InlineVariable;

    /// <summary>The runtime's count of socket engine threads.</summary>
    public const string EnginesVariable = FileServer.Transport.SocketEngines.CountVariable;

    /// <summary>
    /// Turns inline completions on, with <see cref="EngineThreads"/> engines unless their count is set; a user who
    /// set the switch either way gets exactly what they set.
    /// </summary>
    public static void EnableUnlessSet() =>
        Apply(Environment.GetEnvironmentVariable, Environment.SetEnvironmentVariable, Environment.ProcessorCount);

    /// <summary>The decision of <see cref="EnableUnlessSet"/>, over any environment.</summary>
    internal static void Apply(Func<string, string?> get, Action<string, string> set, int processors)
    {
        if (get(InlineVariable) is not null)
        {
            return;
        }
        set(InlineVariable, "1");
        if (get(EnginesVariable) is null)
        {
            set(EnginesVariable, EngineThreads(processors).ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>One engine thread per core, at least one (.NET's own default once completions run inline).</summary>
    public static int EngineThreads(int processors) => Math.Max(1, processors);
}
