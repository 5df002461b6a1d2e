using System.Runtime.InteropServices;

namespace FileServer.Cli.Progress;

/// <summary>
/// The lowest scheduling priority for the calling thread, so the live view draws with CPU time the server does not
/// need: on a busy machine a frame comes late rather than a request. On Linux the nice value belongs to the thread
/// (<c>setpriority(PRIO_PROCESS, 0, …)</c> changes only the caller), which .NET's <c>Thread.Priority</c> does not set.
/// </summary>
internal static partial class BackgroundPriority
{
    private const int PrioProcess = 0;
    private const int Lowest = 19;

    /// <summary>Lowers the calling thread; false where the platform has no per-thread nice value or refuses it.</summary>
    public static bool LowerCurrentThread() => OperatingSystem.IsLinux() && setpriority(PrioProcess, 0, Lowest) == 0;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, uint who, int priority);
}
