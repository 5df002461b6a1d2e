using System.Buffers;
using System.Globalization;
using System.Text;

namespace FileServer.Http;

/// <summary>
/// A response's status line and header fields (RFC 9112 §4), rendered to bytes in one piece so the head
/// leaves in a single write.
/// </summary>
public sealed class ResponseHead
{
    private readonly List<KeyValuePair<string, string>> _fields = new(12);

    /// <summary>Creates a head with <paramref name="status"/> and no fields.</summary>
    public ResponseHead(int status)
    {
        Status = status;
    }

    /// <summary>The status code.</summary>
    public int Status { get; }

    /// <summary>The header fields, in the order they will be written.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields => _fields;

    /// <summary>Appends a header field.</summary>
    public ResponseHead Add(string name, string value)
    {
        _fields.Add(new(name, value));
        return this;
    }

    /// <summary>Appends a <c>Content-Length</c> field.</summary>
    public ResponseHead AddContentLength(long length) =>
        Add("Content-Length", length.ToString(CultureInfo.InvariantCulture));

    /// <summary>The value of <paramref name="name"/>, or null.</summary>
    public string? Get(string name)
    {
        foreach (var field in _fields)
        {
            if (string.Equals(field.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return field.Value;
            }
        }
        return null;
    }

    /// <summary>Writes <c>HTTP/1.1 status reason CRLF (field CRLF)* CRLF</c> into <paramref name="output"/>.</summary>
    public void WriteTo(IBufferWriter<byte> output)
    {
        // We answer every HTTP/1.x request as HTTP/1.1, our highest version (RFC 9110 §2.5 / RFC 9112 §2.3).
        Write(output, "HTTP/1.1 ");
        Write(output, Status.ToString(CultureInfo.InvariantCulture));
        Write(output, " ");
        Write(output, HttpStatus.ReasonPhrase(Status));
        Write(output, "\r\n");
        foreach (var field in _fields)
        {
            Write(output, field.Key);
            Write(output, ": ");
            Write(output, field.Value);
            Write(output, "\r\n");
        }
        Write(output, "\r\n");
    }

    private static void Write(IBufferWriter<byte> output, string text)
    {
        // Latin-1 keeps any byte a header value may legally carry; values we build are ASCII.
        var span = output.GetSpan(text.Length);
        var written = Encoding.Latin1.GetBytes(text, span);
        output.Advance(written);
    }
}
