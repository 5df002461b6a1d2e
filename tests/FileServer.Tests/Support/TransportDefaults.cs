using FileServer.Transport;

namespace FileServer.Tests.Support;

/// <summary>The watermarks and time bound the transport tests share: small enough that back-pressure shows quickly.</summary>
internal static class TransportDefaults
{
    /// <summary>How long any one wait may take before the test fails instead of hanging.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>High 64 KiB, low 16 KiB, 1 MiB sendfile slices.</summary>
    public static readonly TransportOptions Options = new(HighWatermark: 64 * 1024, LowWatermark: 16 * 1024, SendFileChunk: 1024 * 1024);
}
