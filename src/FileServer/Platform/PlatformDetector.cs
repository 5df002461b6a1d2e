namespace FileServer.Platform;

/// <summary>Picks the <see cref="IPlatform"/> for the machine the server runs on.</summary>
public static class PlatformDetector
{
    /// <summary>The POSIX implementation where Mono.Posix works, otherwise the portable one.</summary>
    public static IPlatform Detect() => PosixPlatform.IsSupported() ? new PosixPlatform() : new ManagedPlatform();
}
