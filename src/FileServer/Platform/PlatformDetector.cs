namespace FileServer.Platform;

/// <summary>Picks the <see cref="IPlatform"/> for the machine the server runs on.</summary>
internal static class PlatformDetector
{
    /// <summary>
    /// The environment variable that, set to <c>walk</c>, makes the Linux root confine lookups with its
    /// <c>openat</c> walk alone instead of the kernel's <c>openat2</c>: to compare the two, or where a sandbox
    /// mishandles <c>openat2</c> (one that refuses it outright is detected and needs nothing).
    /// </summary>
    public const string PathLookupVariable = "FILESERVER_PATH_LOOKUP";

    /// <summary>The POSIX implementation where Mono.Posix works, otherwise the portable one.</summary>
    public static IPlatform Detect() =>
        PosixPlatform.IsSupported()
            ? new PosixPlatform(useOpenat2: !string.Equals(Environment.GetEnvironmentVariable(PathLookupVariable), "walk", StringComparison.Ordinal))
            : new ManagedPlatform();
}
