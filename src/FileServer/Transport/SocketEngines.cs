using System.Globalization;

namespace FileServer.Transport;

/// <summary>
/// How .NET's socket engine runs this process's socket continuations, read from the two variables the runtime reads
/// when the first socket is made (the command line sets them: <c>InlineSocketCompletions</c>): inline on
/// <see cref="Count"/> engine threads, each an event loop, or on the thread pool.
/// </summary>
/// <param name="Inline">Whether continuations run on the engine threads (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>).</param>
/// <param name="Count">How many engine threads there are.</param>
internal readonly record struct SocketEngines(bool Inline, int Count)
{
    /// <summary>The runtime's switch for running socket continuations on the engine threads ("1").</summary>
    public const string InlineVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>The runtime's count of socket engine threads.</summary>
    public const string CountVariable = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    // More listening sockets per address than this would be descriptors with no core to run them.
    private const int MostListenersPerAddress = 64;

    /// <summary>The engines of this process.</summary>
    public static SocketEngines FromEnvironment() => From(Environment.GetEnvironmentVariable, Environment.ProcessorCount);

    /// <summary>The engines an environment gives, with .NET's defaults for what it leaves unset.</summary>
    internal static SocketEngines From(Func<string, string?> get, int processors)
    {
        var inline = get(InlineVariable) == "1";
        var count = int.TryParse(get(CountVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var set) && set > 0
            ? set
            : inline ? Math.Max(1, processors) : 1;
        return new SocketEngines(inline, count);
    }

    /// <summary>
    /// Sockets per listening address: one per engine thread where the engines run the connections, each a descriptor
    /// of the one listening socket, so that every event loop accepts from its queue and answers what it accepts; one
    /// where the pool runs them.
    /// </summary>
    /// <remarks>
    /// .NET gives a socket to one engine: with inline completions a single socket's accepts, and the connections that
    /// start where they are accepted, would all run on that one thread. Measured on 2 cores beside nginx
    /// (docs/performance.md, "A new connection per request" and "… on the third machine").
    /// </remarks>
    public int ListenersPerAddress => Inline ? Math.Min(Count, MostListenersPerAddress) : 1;
}
