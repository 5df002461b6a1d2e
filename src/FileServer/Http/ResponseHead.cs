using System.Globalization;
using System.Text;

namespace FileServer.Http;

/// <summary>
/// A response's status line and header fields (RFC 9112 §4), rendered to bytes in one piece so the head
/// leaves in a single write.
/// </summary>
internal sealed class ResponseHead
{
    private readonly List<KeyValuePair<string, string>> _fields = new(12);
    private byte[]? _rendered;

    /// <summary>Creates a head with <paramref name="status"/> and no fields.</summary>
    public ResponseHead(int status)
    {
        Status = status;
    }

    /// <summary>Empties this head for reuse with <paramref name="status"/>.</summary>
    internal void Reset(int status)
    {
        Status = status;
        _fields.Clear();
        _rendered = null;
    }

    /// <summary>The status code.</summary>
    public int Status { get; private set; }

    /// <summary>Appends a header field.</summary>
    public ResponseHead Add(string name, string value)
    {
        _fields.Add(new(name, value));
        return this;
    }

    /// <summary>
    /// Appends fields already rendered (each <c>name: value</c> and CRLF, Latin-1), written after the fields added
    /// with <see cref="Add"/>. At most one block per head.
    /// </summary>
    public ResponseHead AddRendered(byte[] fields)
    {
        if (_rendered is not null)
        {
            throw new InvalidOperationException("this head already has a block of rendered fields");
        }
        _rendered = fields;
        return this;
    }

    /// <summary>Appends a <c>Content-Length</c> field.</summary>
    public ResponseHead AddContentLength(long length) =>
        Add("Content-Length", length.ToString(CultureInfo.InvariantCulture));

    /// <summary>The number of bytes <see cref="CopyTo"/> writes.</summary>
    public int EncodedLength
    {
        get
        {
            // "HTTP/1.1 " + 3-digit status + " " + reason + CRLF, each field "name: value" + CRLF, final CRLF.
            var length = 9 + 3 + 1 + HttpStatus.ReasonPhrase(Status).Length + 2 + 2;
            foreach (var (name, value) in _fields)
            {
                length += name.Length + 2 + value.Length + 2;
            }
            return length + (_rendered?.Length ?? 0);
        }
    }

    /// <summary>Writes the head into <paramref name="destination"/> (at least <see cref="EncodedLength"/> bytes); returns the bytes written.</summary>
    public int CopyTo(Span<byte> destination)
    {
        var written = 0;
        // We answer every HTTP/1.x request as HTTP/1.1, our highest version (RFC 9110 §2.5 / RFC 9112 §2.3).
        Append(destination, ref written, "HTTP/1.1 ");
        Status.TryFormat(destination[written..], out var digits, provider: CultureInfo.InvariantCulture);
        written += digits;
        Append(destination, ref written, " ");
        Append(destination, ref written, HttpStatus.ReasonPhrase(Status));
        Append(destination, ref written, "\r\n");
        foreach (var field in _fields)
        {
            Append(destination, ref written, field.Key);
            Append(destination, ref written, ": ");
            Append(destination, ref written, field.Value);
            Append(destination, ref written, "\r\n");
        }
        if (_rendered is not null)
        {
            _rendered.CopyTo(destination[written..]);
            written += _rendered.Length;
        }
        Append(destination, ref written, "\r\n");
        return written;
    }

    // Latin-1 keeps any byte a header value may legally carry; values we build are ASCII.
    private static void Append(Span<byte> destination, ref int written, string text) =>
        written += Encoding.Latin1.GetBytes(text, destination[written..]);
}
