using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using System.Text;

namespace FileServer.Tests.Support;

/// <summary>A parsed HTTP/1.1 response; the body is kept whole or only hashed.</summary>
public sealed record RawResponse(int Status, string StatusLine, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body, long BodyLength, string BodySha256)
{
    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public string BodyText => Encoding.UTF8.GetString(Body);
}

/// <summary>
/// A client over a raw TCP socket: sends exactly the bytes a test writes and parses responses itself, so
/// tests see what is really on the wire (pipelining, framing, connection close).
/// </summary>
public sealed class RawHttpConnection : IDisposable
{
    private const int KeepBodyLimit = 1 << 20;
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawHttpConnection(Socket socket, Stream stream)
    {
        _socket = socket;
        _stream = stream;
    }

    public Socket Socket => _socket;

    public static RawHttpConnection Open(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect("127.0.0.1", port);
        // Generous, but bounded: a server that hangs fails the test instead of stalling the run.
        socket.ReceiveTimeout = 60_000;
        return new RawHttpConnection(socket, new NetworkStream(socket, ownsSocket: true));
    }

    /// <summary>Connects and completes a TLS handshake that trusts only <paramref name="trusted"/> (a real chain and name check).</summary>
    public static RawHttpConnection OpenTls(int port, X509Certificate2 trusted, string serverName = "localhost")
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect("127.0.0.1", port);
        socket.ReceiveTimeout = 60_000;
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            tls.AuthenticateAsClient(TestCertificates.ClientOptions(trusted, serverName));
        }
        catch
        {
            tls.Dispose();
            throw;
        }
        return new RawHttpConnection(socket, tls);
    }

    /// <summary>The TLS session, when the connection is one.</summary>
    public SslStream? Tls => _stream as SslStream;

    public void Send(string text) => _stream.Write(Encoding.Latin1.GetBytes(text));

    public void Send(byte[] bytes) => _stream.Write(bytes);

    public RawResponse Get(string path, string extraHeaders = "")
    {
        Send($"GET {path} HTTP/1.1\r\nHost: test\r\n{extraHeaders}\r\n");
        return ReadResponse();
    }

    /// <summary>Reads one response; a body without Content-Length runs to EOF.</summary>
    public RawResponse ReadResponse(bool isHead = false)
    {
        var statusLine = ReadLine() ?? throw new EndOfStreamException("connection closed before a response");
        var headers = new List<KeyValuePair<string, string>>();
        while (ReadLine() is { Length: > 0 } line)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
        }
        var status = int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var lengthText = headers.FirstOrDefault(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Value;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var kept = new MemoryStream();
        long total = 0;
        // RFC 9112 §6.3: 1xx, 204 and 304 responses never have content.
        if (!isHead && status != 304 && status != 204 && status >= 200)
        {
            var remaining = lengthText is null ? long.MaxValue : long.Parse(lengthText, System.Globalization.CultureInfo.InvariantCulture);
            while (remaining > 0)
            {
                if (_start == _end && !Fill())
                {
                    if (lengthText is null)
                    {
                        break;
                    }
                    throw new EndOfStreamException($"connection closed after {total} body bytes of {lengthText}");
                }
                var take = (int)Math.Min(remaining, _end - _start);
                var chunk = _buffer.AsSpan(_start, take);
                hash.AppendData(chunk);
                if (kept.Length < KeepBodyLimit)
                {
                    kept.Write(chunk);
                }
                _start += take;
                remaining -= take;
                total += take;
            }
        }
        return new RawResponse(status, statusLine, headers, kept.ToArray(), total, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>True when the server closed the connection (EOF) with nothing more sent.</summary>
    public bool IsClosedByServer()
    {
        if (_start < _end)
        {
            return false;
        }
        try
        {
            return !Fill();
        }
        catch (IOException)
        {
            return true;
        }
    }

    private string? ReadLine()
    {
        var line = new List<byte>();
        while (true)
        {
            if (_start == _end && !Fill())
            {
                return line.Count == 0 ? null : Encoding.Latin1.GetString(line.ToArray());
            }
            var b = _buffer[_start++];
            if (b == '\n')
            {
                if (line.Count > 0 && line[^1] == '\r')
                {
                    line.RemoveAt(line.Count - 1);
                }
                return Encoding.Latin1.GetString(line.ToArray());
            }
            line.Add(b);
        }
    }

    private bool Fill()
    {
        _start = 0;
        _end = _stream.Read(_buffer, 0, _buffer.Length);
        return _end > 0;
    }

    public void Dispose() => _stream.Dispose();
}
