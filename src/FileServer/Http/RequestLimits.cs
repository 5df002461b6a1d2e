namespace FileServer.Http;

/// <summary>Upper bounds on a request head; anything past them is refused before it can cost memory.</summary>
/// <param name="MaxRequestLineBytes">Longest request line (method, target, version): past it, 414.</param>
/// <param name="MaxHeadBytes">Longest whole head, request line and fields included: past it, 431.</param>
/// <param name="MaxHeaderFields">Most header fields: past it, 431.</param>
public sealed record RequestLimits(int MaxRequestLineBytes = 8 * 1024, int MaxHeadBytes = 32 * 1024, int MaxHeaderFields = 100)
{
    /// <summary>The defaults of DESIGN.md: 8 KiB line, 32 KiB head, 100 fields.</summary>
    public static RequestLimits Default { get; } = new();
}
