using System.Globalization;

namespace FileServer.Http;

/// <summary>A satisfiable byte range of a representation: <see cref="Length"/> bytes from <see cref="Start"/> (RFC 9110 §14.1).</summary>
/// <param name="Start">Offset of the first byte.</param>
/// <param name="Length">Number of bytes, at least 1.</param>
internal readonly record struct ByteRange(long Start, long Length)
{
    /// <summary>Offset of the last byte (inclusive), the <c>last-pos</c> of RFC 9110.</summary>
    public long End => Start + Length - 1;

    /// <summary>The <c>Content-Range</c> value for this range of a <paramref name="completeLength"/>-byte representation (RFC 9110 §14.4).</summary>
    public string ContentRange(long completeLength) =>
        string.Create(CultureInfo.InvariantCulture, $"bytes {Start}-{End}/{completeLength}");

    /// <summary>The <c>Content-Range</c> value of a 416 response: <c>bytes */LENGTH</c>.</summary>
    public static string UnsatisfiedContentRange(long completeLength) =>
        string.Create(CultureInfo.InvariantCulture, $"bytes */{completeLength}");
}
