namespace FileServer.Hosting;

/// <summary>
/// How many connections the open-file limit can carry. A connection costs at most
/// <see cref="PerConnection"/> descriptors: its socket, the file it sends, and, for the moment of a lookup, the
/// directory and entry found (closed once the file is open). The open-file cache, the reserve and what the
/// process already holds come off the limit first, and <see cref="Headroom"/> stays free for the runtime.
/// </summary>
/// <param name="Limit">The open-file limit in force (RLIMIT_NOFILE).</param>
/// <param name="InUse">Descriptors open when counted: the runtime's, the listeners', the root's, the reserve's.</param>
/// <param name="Cache">Descriptors the open-file cache may hold.</param>
internal readonly record struct DescriptorBudget(ulong Limit, int InUse, int Cache)
{
    /// <summary>The socket, the file, and one more while a lookup's descriptors are open.</summary>
    public const int PerConnection = 3;

    /// <summary>Left for the runtime: new threads' pipes, assemblies loaded later, /proc reads, TLS.</summary>
    public const int Headroom = 64;

    /// <summary>What the limit leaves for everything but connections.</summary>
    public int Reserved => InUse + Cache + Headroom;

    /// <summary>The most connections the limit can carry; 0 when it cannot carry one.</summary>
    public int MaxConnections => (int)Math.Clamp(((long)Math.Min(Limit, int.MaxValue) - Reserved) / PerConnection, 0, int.MaxValue);
}
