using System.Globalization;
using System.Text;

namespace LoadGen;

/// <summary>
/// Reads one response from a keep-alive stream: its head, then its Content-Length body bytes, each piece handed to
/// <c>onBody</c> as it arrives (nothing kept here). Returns the parsed head.
/// </summary>
internal static class ResponseReader
{
    public static async Task<HeadReader> ReadAsync(Stream stream, byte[] buffer, System.Buffers.ReadOnlySpanAction<byte, HeadReader> onBody, CancellationToken cancellationToken)
    {
        var head = new HeadReader();
        long body = 0;
        while (true)
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                throw new IOException("closed before the response ended");
            }
            var used = head.Feed(buffer.AsSpan(0, read));
            if (head.TooLong)
            {
                throw new IOException("head too long");
            }
            if (!head.Complete)
            {
                continue;
            }
            onBody(buffer.AsSpan(used, read - used), head);
            body += read - used;
            if (body >= Math.Max(0, head.ContentLength))
            {
                return head;
            }
        }
    }
}

/// <summary>
/// Collects a response head byte by byte (up to <see cref="MaxHead"/> bytes) and parses the status code and
/// the framing headers once the blank line arrives.
/// </summary>
internal sealed class HeadReader
{
    public const int MaxHead = 16 * 1024;
    private byte[]? _buffer = new byte[256];
    private int _length;

    public bool Complete { get; private set; }

    public bool TooLong { get; private set; }

    public int Status { get; private set; } = -1;

    public long ContentLength { get; private set; } = -1;

    public bool ConnectionClose { get; private set; }

    public bool Chunked { get; private set; }

    public int Length => _length;

    /// <summary>True once the first byte came, even if the head is incomplete.</summary>
    public bool Started => _length > 0;

    /// <summary>Feeds received bytes; returns how many of them belong to the head (the rest is body).</summary>
    public int Feed(ReadOnlySpan<byte> data)
    {
        if (Complete || TooLong || data.IsEmpty)
        {
            return 0;
        }
        var take = Math.Min(data.Length, MaxHead - _length);
        if (_length + take > _buffer!.Length)
        {
            Array.Resize(ref _buffer, Math.Min(MaxHead, Math.Max(_buffer.Length * 2, _length + take)));
        }
        data[..take].CopyTo(_buffer.AsSpan(_length));
        var searchFrom = Math.Max(0, _length - 3);
        var old = _length;
        _length += take;
        var end = _buffer.AsSpan(searchFrom, _length - searchFrom).IndexOf("\r\n\r\n"u8);
        if (end >= 0)
        {
            var headLength = searchFrom + end + 4;
            Parse(_buffer.AsSpan(0, headLength));
            Complete = true;
            _length = headLength;
            _buffer = null;
            return headLength - old;
        }
        if (_length >= MaxHead)
        {
            TooLong = true;
            _buffer = null;
        }
        return take;
    }

    private void Parse(ReadOnlySpan<byte> head)
    {
        var text = Encoding.Latin1.GetString(head);
        var lines = text.Split("\r\n");
        var statusLine = lines[0].Split(' ', 3);
        if (statusLine.Length >= 2 && statusLine[0].StartsWith("HTTP/", StringComparison.Ordinal)
            && int.TryParse(statusLine[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            Status = status;
        }
        ConnectionClose = statusLine[0] == "HTTP/1.0";
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            {
                ContentLength = length;
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                var tokens = value.Split(',', StringSplitOptions.TrimEntries);
                if (tokens.Any(t => t.Equals("close", StringComparison.OrdinalIgnoreCase)))
                {
                    ConnectionClose = true;
                }
                else if (tokens.Any(t => t.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)))
                {
                    ConnectionClose = false;
                }
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                Chunked = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
            }
        }
    }
}
