using System.Runtime.CompilerServices;
using System.Text;
using FileServer.Platform;

namespace FileServer.Cli;

/// <summary>
/// Standard output and standard error as plain writers over descriptors 1 and 2 (<see cref="DescriptorWriteStream"/>),
/// in place of <see cref="Console"/>: a server writes a few lines there and reads no keys, and System.Console (its
/// assembly, its terminal set-up) was 0.5 MiB of an idle server's RSS (docs/performance.md, "Idle memory"). Each
/// line is flushed as it is written, so a script reading the "Listening on" line gets it at once.
/// </summary>
internal static class StandardStreams
{
    // Asked once (a stat and a directory lookup), before Out and Error below are made: static fields start in order.
    private static readonly bool s_posix = PosixPlatform.IsSupported();

    /// <summary>Standard output (the URLs a script reads, help, the version).</summary>
    public static TextWriter Out { get; } = Open(1);

    /// <summary>Standard error (the log and one-line errors).</summary>
    public static TextWriter Error { get; } = Open(2);

    /// <summary>Standard error as a stream, for writers of their own (the access log's lines).</summary>
    public static Stream OpenError() => OpenStream(2);

    private static TextWriter Open(int descriptor) =>
        TextWriter.Synchronized(new StreamWriter(OpenStream(descriptor), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { AutoFlush = true });

    // write(2) through Mono.Posix where its native helper loads (as the server's own platform decides); elsewhere the
    // console's streams.
    private static Stream OpenStream(int descriptor) =>
        s_posix ? new DescriptorWriteStream(descriptor) : ConsoleStream(descriptor);

    // Not inlined: compiling it loads System.Console, which a server on Linux never needs.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Stream ConsoleStream(int descriptor) => descriptor == 1 ? Console.OpenStandardOutput() : Console.OpenStandardError();
}
