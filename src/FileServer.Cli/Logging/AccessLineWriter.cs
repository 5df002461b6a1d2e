using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using FileServer.Hosting;

namespace FileServer.Cli.Logging;

/// <summary>
/// Appends <see cref="AccessRecord"/>s as lines of one layout, as UTF-8 into a buffer the access log writes out whole.
/// Text from the request is escaped as nginx escapes it (<c>"</c>, <c>\</c>, control and non-ASCII characters as
/// <c>\xHH</c>), so a hostile path or user agent cannot end a field or forge a line. One writer serves one thread:
/// it keeps the formatted second of the last line, since thousands of lines a second share it.
/// </summary>
internal sealed class AccessLineWriter : IDisposable
{
    private readonly AccessLogFormat _format;
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    // Made only for the JSON layout: the others never load System.Text.Json (idle RSS).
    private readonly JsonAccessLine? _json;
    // The second of the last line and its text in the layout's form ("04/Dec/2026:03:04:05" or "2026-12-04T03:04:05").
    private long _second = long.MinValue;
    private string _secondText = "";

    /// <summary>A writer of <paramref name="format"/> lines.</summary>
    public AccessLineWriter(AccessLogFormat format)
    {
        _format = format;
        if (format == AccessLogFormat.Json)
        {
            _json = CreateJson(_buffer);
        }
    }

    /// <summary>The lines appended since the last <see cref="Clear"/>.</summary>
    public ReadOnlyMemory<byte> Written => _buffer.WrittenMemory;

    /// <summary>Forgets the lines written out.</summary>
    public void Clear() => _buffer.ResetWrittenCount();

    /// <summary>The line of <paramref name="record"/> (with its newline) as text.</summary>
    public static string Format(AccessRecord record, AccessLogFormat format)
    {
        using var writer = new AccessLineWriter(format);
        writer.Append(record);
        return Encoding.UTF8.GetString(writer.Written.Span);
    }

    /// <inheritdoc />
    public void Dispose() => DisposeJson();

    /// <summary>Appends the line of <paramref name="record"/>, with its newline.</summary>
    public void Append(AccessRecord record)
    {
        switch (_format)
        {
            case AccessLogFormat.Common:
                Common(record);
                break;
            case AccessLogFormat.Combined:
                Common(record);
                Ascii(" \"");
                Escaped(record.Referer ?? "-");
                Ascii("\" \"");
                Escaped(record.UserAgent ?? "-");
                Ascii("\"");
                break;
            case AccessLogFormat.Json:
                AppendJson(record);
                break;
            default:
                var text = AccessRecord.Format(record, null);
                _buffer.Advance(Encoding.UTF8.GetBytes(text, _buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length))));
                break;
        }
        Ascii("\n");
    }

    private void Common(AccessRecord r)
    {
        Ascii(Host(r.Client));
        Ascii(" - - [");
        Ascii(Second(r.Time.UtcDateTime, "dd/MMM/yyyy:HH:mm:ss"));
        Ascii(" +0000] \"");
        if (r.Method == "-")
        {
            Ascii("-");
        }
        else
        {
            Escaped(r.Method);
            Ascii(" ");
            Escaped(r.Target);
            Ascii(" ");
            Escaped(r.Version);
        }
        Ascii("\" ");
        Number(r.Status);
        Ascii(" ");
        Number(r.BodyBytes);
    }

    // The JSON layout's members, each apart (never inlined), so that compiling this class does not load
    // System.Text.Json.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static JsonAccessLine CreateJson(ArrayBufferWriter<byte> buffer) => new(buffer);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AppendJson(AccessRecord r)
    {
        var time = r.Time.UtcDateTime;
        Span<char> stamp = stackalloc char[24];
        Second(time, "yyyy-MM-dd'T'HH:mm:ss").CopyTo(stamp);
        stamp[19] = '.';
        time.Millisecond.TryFormat(stamp[20..23], out _, "000", CultureInfo.InvariantCulture);
        stamp[23] = 'Z';
        _json!.Write(r, stamp, Host(r.Client));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void DisposeJson() => _json?.Dispose();

    // The time's second in the layout's form, formatted once per second.
    private string Second(DateTime time, string layout)
    {
        var second = time.Ticks / TimeSpan.TicksPerSecond;
        if (second != _second)
        {
            (_second, _secondText) = (second, time.ToString(layout, CultureInfo.InvariantCulture));
        }
        return _secondText;
    }

    // The address without its port: "127.0.0.1:5000" → "127.0.0.1", "[::1]:5000" → "::1".
    private static ReadOnlySpan<char> Host(string client)
    {
        if (client.StartsWith('['))
        {
            var end = client.IndexOf(']', StringComparison.Ordinal);
            return end > 0 ? client.AsSpan(1, end - 1) : client;
        }
        var colon = client.LastIndexOf(':');
        return colon > 0 && client.IndexOf(':', StringComparison.Ordinal) == colon ? client.AsSpan(0, colon) : client;
    }

    // Text known to be ASCII (our own, an address, a formatted time).
    private void Ascii(ReadOnlySpan<char> text)
    {
        var span = _buffer.GetSpan(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            span[i] = (byte)text[i];
        }
        _buffer.Advance(text.Length);
    }

    private void Number(long value)
    {
        value.TryFormat(_buffer.GetSpan(20), out var written, default, CultureInfo.InvariantCulture);
        _buffer.Advance(written);
    }

    private void Escaped(string text)
    {
        // At most 4 bytes (\xHH) a character, 3 UTF-8 bytes for one past Latin-1: 12.
        var span = _buffer.GetSpan(text.Length * 12);
        var at = 0;
        Span<byte> bytes = stackalloc byte[3];
        foreach (var c in text)
        {
            if (c is '"' or '\\' or < ' ' or > '~')
            {
                // A request line is read as Latin-1, so a character is the byte that came; anything wider (never from
                // the wire) goes per UTF-8 byte.
                var count = c <= 0xFF ? 1 : Encoding.UTF8.GetBytes([c], bytes);
                if (c <= 0xFF)
                {
                    bytes[0] = (byte)c;
                }
                foreach (var b in bytes[..count])
                {
                    span[at++] = (byte)'\\';
                    span[at++] = (byte)'x';
                    span[at++] = (byte)"0123456789ABCDEF"[b >> 4];
                    span[at++] = (byte)"0123456789ABCDEF"[b & 0xF];
                }
            }
            else
            {
                span[at++] = (byte)c;
            }
        }
        _buffer.Advance(at);
    }
}
