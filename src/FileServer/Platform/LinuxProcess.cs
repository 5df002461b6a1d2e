namespace FileServer.Platform;

/// <summary>What the server asks of its own process on Linux: its descriptors, their limit, and SIGINT's disposition.</summary>
internal static unsafe class LinuxProcess
{
    private const int RlimitNoFile = 7;
    private const int SigInt = 2;
    private const nint SigDfl = 0; // SIG_DFL
    private const nint SigIgn = 1; // SIG_IGN

    /// <summary>See <see cref="IPlatform.RestoreInheritedInterrupt"/>.</summary>
    public static void RestoreInheritedInterrupt()
    {
        // Room for any platform's struct sigaction (152 bytes on Linux x86-64 and arm64); the handler comes first.
        var current = stackalloc byte[512];
        if (LibC.sigaction(SigInt, null, current) == 0 && *(nint*)current == SigIgn)
        {
            _ = LibC.signal(SigInt, SigDfl);
        }
    }

    /// <summary>See <see cref="IPlatform.CountOpenDescriptors"/>.</summary>
    public static int CountOpenDescriptors() => Directory.EnumerateFileSystemEntries("/proc/self/fd").Count();

    /// <summary>See <see cref="IPlatform.TrimNativeHeap"/>.</summary>
    public static void TrimNativeHeap()
    {
        // musl has no malloc_trim: the symbol lookup fails there, and there is nothing to give back that way.
        try
        {
            _ = LibC.malloc_trim(0);
        }
        catch (EntryPointNotFoundException)
        {
        }
    }

    /// <summary>See <see cref="IPlatform.RaiseOpenFileLimit"/>.</summary>
    public static ulong? RaiseOpenFileLimit()
    {
        // Mono.Posix 1.0.0 has no getrlimit/setrlimit: see PLATFORM-NOTES.md.
        if (LibC.getrlimit(RlimitNoFile, out var limit) != 0)
        {
            return null;
        }
        if (limit.Current < limit.Maximum)
        {
            var raised = limit with { Current = limit.Maximum };
            if (LibC.setrlimit(RlimitNoFile, in raised) == 0)
            {
                return raised.Current;
            }
        }
        return limit.Current;
    }
}
