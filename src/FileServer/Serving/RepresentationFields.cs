using System.Text;

namespace FileServer.Serving;

/// <summary>
/// The header fields that describe a whole file in a 200 response — <c>Content-Type</c>, <c>Content-Length</c>,
/// <c>Last-Modified</c>, <c>ETag</c>, <c>Accept-Ranges</c> — rendered to bytes once per file version, so a hot file's
/// head is a copy of bytes and not five fields formatted and encoded on every request.
/// </summary>
/// <remarks>
/// Only the size and modification time (and the type, from the name) go into these fields, so they stay right
/// exactly as long as <see cref="Describes"/> holds for the status this request's own stat found.
/// </remarks>
internal sealed class RepresentationFields
{
    private readonly string _contentType;
    private readonly ValidatorCache.Entry _validators;

    private RepresentationFields(string contentType, ValidatorCache.Entry validators, byte[] bytes)
    {
        _contentType = contentType;
        _validators = validators;
        Bytes = bytes;
    }

    /// <summary>The fields, each <c>name: value</c> and CRLF, in the order a 200 response carries them.</summary>
    public byte[] Bytes { get; }

    /// <summary>Renders the fields for a file of type <paramref name="contentType"/> with <paramref name="validators"/>.</summary>
    public static RepresentationFields Render(string contentType, ValidatorCache.Entry validators)
    {
        var text = $"Content-Type: {contentType}\r\nContent-Length: {validators.ContentLength}\r\n" +
            $"Last-Modified: {validators.LastModified}\r\nETag: {validators.ETag}\r\nAccept-Ranges: bytes\r\n";
        // Latin-1, as ResponseHead encodes every field: one byte per char, whatever a type name holds.
        return new RepresentationFields(contentType, validators, Encoding.Latin1.GetBytes(text));
    }

    /// <summary>
    /// Whether these fields are right for a file of <paramref name="contentType"/> whose size and modification time
    /// <paramref name="validators"/> describe.
    /// </summary>
    public bool Describes(string contentType, ValidatorCache.Entry validators) =>
        _validators.Length == validators.Length
        && _validators.ModifiedUnixNanoseconds == validators.ModifiedUnixNanoseconds
        && string.Equals(_contentType, contentType, StringComparison.Ordinal);
}
