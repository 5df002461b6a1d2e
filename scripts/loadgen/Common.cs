using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace LoadGen;

/// <summary>A command-line mistake: reported on stderr, exit code 2.</summary>
internal sealed class UsageException : Exception
{
    public UsageException(string message) : base(message)
    {
    }

    public UsageException()
    {
    }

    public UsageException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>
/// <c>--name value</c> (or <c>--name=value</c>) options. Every mode reads what it knows, then
/// <see cref="EnsureAllUsed"/> rejects the rest, so a typo is an error rather than a silent default.
/// </summary>
internal sealed class Args
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public static Args Parse(IReadOnlyList<string> argv)
    {
        var args = new Args();
        for (var i = 0; i < argv.Count; i++)
        {
            var token = argv[i];
            if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length == 2)
            {
                throw new UsageException($"unexpected argument '{token}'");
            }
            var name = token[2..];
            string value;
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }
            else
            {
                if (i + 1 >= argv.Count)
                {
                    throw new UsageException($"option --{name} needs a value");
                }
                value = argv[++i];
            }
            if (!args._values.TryAdd(name, value))
            {
                throw new UsageException($"option --{name} given twice");
            }
        }
        return args;
    }

    public string Required(string name) =>
        Text(name) ?? throw new UsageException($"option --{name} is required");

    public string? Text(string name)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out var value) ? value : null;
    }

    public int Int(string name, int fallback, int min, int max) => (int)Size(name, fallback, min, max);

    /// <summary>A byte count or plain number: digits with an optional k, m or g suffix (powers of 1024).</summary>
    public long Size(string name, long fallback, long min, long max)
    {
        var text = Text(name);
        if (text is null)
        {
            return fallback;
        }
        var value = ParseSize(text) ?? throw new UsageException($"--{name}: '{text}' is not a number (suffixes k, m, g allowed)");
        if (value < min || value > max)
        {
            throw new UsageException($"--{name}: {value} is outside {min}..{max}");
        }
        return value;
    }

    public double Double(string name, double fallback, double min, double max)
    {
        var text = Text(name);
        if (text is null)
        {
            return fallback;
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || double.IsNaN(value))
        {
            throw new UsageException($"--{name}: '{text}' is not a number");
        }
        if (value < min || value > max)
        {
            throw new UsageException($"--{name}: {text} is outside {min}..{max}");
        }
        return value;
    }

    public void EnsureAllUsed()
    {
        foreach (var name in _values.Keys)
        {
            if (!_used.Contains(name))
            {
                throw new UsageException($"unknown option --{name} for this mode");
            }
        }
    }

    public static long? ParseSize(string text)
    {
        var trimmed = text.Trim();
        long multiplier = 1;
        if (trimmed.Length > 1)
        {
            multiplier = char.ToLowerInvariant(trimmed[^1]) switch
            {
                'k' => 1024,
                'm' => 1024 * 1024,
                'g' => 1024 * 1024 * 1024,
                _ => 1,
            };
            if (multiplier != 1)
            {
                trimmed = trimmed[..^1];
            }
        }
        if (!long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }
        return checked(number * multiplier);
    }
}

/// <summary>
/// Where to connect and what to ask for, from an <c>http://host:port/path</c> URL, or <c>https://</c> for the
/// modes that speak TLS (slow-readers, download: <see cref="OpenAsync"/>).
/// </summary>
internal sealed class Target
{
    private Target(IPEndPoint endPoint, string host, string authority, string pathAndQuery, bool tls)
    {
        EndPoint = endPoint;
        Host = host;
        Authority = authority;
        PathAndQuery = pathAndQuery;
        Tls = tls;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>The host as written in the URL: the TLS server name (SNI, and the name the certificate must hold).</summary>
    public string Host { get; }

    public string Authority { get; }

    public string PathAndQuery { get; }

    /// <summary>An https:// URL: <see cref="OpenAsync"/> wraps the socket in an <see cref="SslStream"/>.</summary>
    public bool Tls { get; }

    /// <summary>Parses <paramref name="url"/>; https:// only where the mode says it can speak TLS.</summary>
    public static Target Parse(string url, bool tlsAllowed = false)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || !(uri.Scheme == Uri.UriSchemeHttp || (tlsAllowed && uri.Scheme == Uri.UriSchemeHttps)))
        {
            throw new UsageException($"--url: '{url}' is not an http://{(tlsAllowed ? " or https://" : "")} URL");
        }
        if (!IPAddress.TryParse(uri.DnsSafeHost, out var address))
        {
            address = Dns.GetHostAddresses(uri.DnsSafeHost).FirstOrDefault()
                ?? throw new UsageException($"--url: host '{uri.Host}' has no address");
        }
        return new Target(new IPEndPoint(address, uri.Port), uri.DnsSafeHost, uri.Authority, uri.PathAndQuery, uri.Scheme == Uri.UriSchemeHttps);
    }

    /// <summary>A complete GET request head (keep-alive is HTTP/1.1's default).</summary>
    public byte[] Request() => Encoding.ASCII.GetBytes($"GET {PathAndQuery} HTTP/1.1\r\nHost: {Authority}\r\n\r\n");

    /// <summary>A TCP socket; a positive <paramref name="receiveBuffer"/> is set before connecting, so the window scale stays small.</summary>
    public Socket NewSocket(int receiveBuffer = 0)
    {
        var socket = new Socket(EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBuffer > 0)
        {
            socket.ReceiveBufferSize = receiveBuffer;
        }
        return socket;
    }

    /// <summary>Connects within <paramref name="timeout"/>; disposes the socket and rethrows on failure.</summary>
    public async Task<Socket> ConnectAsync(TimeSpan timeout, int receiveBuffer = 0, CancellationToken cancellationToken = default)
    {
        var socket = NewSocket(receiveBuffer);
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            await socket.ConnectAsync(EndPoint, cts.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Connects (as <see cref="ConnectAsync"/>) and, for an https:// target, completes the TLS handshake, all
    /// within <paramref name="timeout"/>: a <see cref="NetworkStream"/> or an <see cref="SslStream"/> that owns
    /// the socket. <paramref name="trust"/> checks the server's certificate (<see cref="TlsTrust"/>).
    /// </summary>
    public async Task<(Socket Socket, Stream Stream)> OpenAsync(TimeSpan timeout, TlsTrust? trust, int receiveBuffer = 0,
        CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var socket = await ConnectAsync(timeout, receiveBuffer, cts.Token);
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        if (!Tls)
        {
            return (socket, stream);
        }
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = Host,
                EnabledSslProtocols = SslProtocols.None,   // the system's defaults: TLS 1.2 and 1.3
                RemoteCertificateValidationCallback = (trust ?? TlsTrust.AnyCertificate).Validate,
            }, cts.Token);
            return (socket, tls);
        }
        catch
        {
            await tls.DisposeAsync();
            throw;
        }
    }
}

/// <summary>
/// How a TLS client judges the server's certificate. With <c>--ca FILE</c> (PEM), the chain must end at a
/// certificate of FILE and the certificate must name the URL's host; a self-signed server certificate is its
/// own anchor (what --tls-cert-out writes, or an openssl req -x509 certificate). Without it any certificate is
/// accepted: the load runs on loopback against a server the script started itself, and what is measured is
/// the server's cost, not the client's trust decision.
/// </summary>
internal sealed class TlsTrust
{
    private readonly X509Certificate2Collection? _anchors;

    private TlsTrust(X509Certificate2Collection? anchors) => _anchors = anchors;

    public static TlsTrust AnyCertificate { get; } = new(null);

    /// <summary>From <c>--ca FILE</c>, or <see cref="AnyCertificate"/> when the option is absent.</summary>
    public static TlsTrust FromArgs(Args args)
    {
        var path = args.Text("ca");
        if (path is null)
        {
            return AnyCertificate;
        }
        var anchors = new X509Certificate2Collection();
        try
        {
            anchors.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new UsageException($"--ca: cannot read certificates from '{path}': {e.Message}");
        }
        if (anchors.Count == 0)
        {
            throw new UsageException($"--ca: no certificate in '{path}'");
        }
        return new TlsTrust(anchors);
    }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_anchors is null)
        {
            return true;
        }
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_anchors);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            // The intermediates the server sent.
            foreach (var element in chain.ChainElements.Skip(1))
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf);
    }
}

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

/// <summary>Prints the summary as <c>key=value</c> lines on stdout (what scripts/stress.sh parses).</summary>
internal static class Report
{
    public static void Put(string key, string value) => Console.Out.WriteLine($"{key}={value}");

    public static void Put(string key, long value) => Put(key, value.ToString(CultureInfo.InvariantCulture));

    public static void Put(string key, double value) => Put(key, Format(value));

    public static string Format(double value) =>
        double.IsNaN(value) ? "-" : value.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Puts min, median, p90 and max of <paramref name="values"/> under <c>PREFIX_min</c> etc. ("-" when empty).</summary>
    public static void Distribution(string prefix, IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        Put(prefix + "_min", sorted.Length == 0 ? double.NaN : sorted[0]);
        Put(prefix + "_median", Percentile(sorted, 0.5));
        Put(prefix + "_p90", Percentile(sorted, 0.9));
        Put(prefix + "_max", sorted.Length == 0 ? double.NaN : sorted[^1]);
    }

    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }

    /// <summary>Error kinds with counts, most frequent first: <c>ConnectionReset:3,TimedOut:1</c>.</summary>
    public static string Tally(IEnumerable<string> kinds)
    {
        var text = string.Join(',', kinds.GroupBy(k => k, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).Select(g => $"{g.Key}:{g.Count()}"));
        return text.Length == 0 ? "-" : text;
    }
}

/// <summary>Last resort against a hang: the process exits with code 3 once the armed time has passed.</summary>
internal static class Watchdog
{
    private static Timer? s_timer;

    public static void Arm(TimeSpan limit)
    {
        s_timer?.Dispose();
        s_timer = new Timer(_ =>
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"loadgen: watchdog: still running after {limit.TotalSeconds:0}s, exiting");
            Environment.Exit(3);
        }, null, limit, Timeout.InfiniteTimeSpan);
    }
}

internal static class Errors
{
    /// <summary>A short name for a failure: the socket error code, "timeout", or the exception type.</summary>
    public static string Kind(Exception e) => e switch
    {
        SocketException s => s.SocketErrorCode.ToString(),
        OperationCanceledException => "timeout",
        IOException { InnerException: SocketException s } => s.SocketErrorCode.ToString(),
        AuthenticationException => "tls-handshake",
        IOException { InnerException: AuthenticationException } => "tls-handshake",
        _ => e.GetType().Name,
    };

    public static bool IsNetwork(Exception e) =>
        e is SocketException or IOException or ObjectDisposedException or OperationCanceledException or AuthenticationException;
}

/// <summary>Linux TCP state of a socket via getsockopt(TCP_INFO); -1 where that is not available.</summary>
internal static class TcpInfo
{
    public const int Established = 1;
    private const int IpProtoTcp = 6;
    private const int TcpInfoOption = 11;

    public static int State(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }
        Span<byte> info = stackalloc byte[256];
        try
        {
            return socket.GetRawSocketOption(IpProtoTcp, TcpInfoOption, info) > 0 ? info[0] : -1;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or PlatformNotSupportedException)
        {
            return -1;
        }
    }

    public static string Name(int state) => state switch
    {
        1 => "ESTABLISHED",
        2 => "SYN_SENT",
        3 => "SYN_RECV",
        4 => "FIN_WAIT1",
        5 => "FIN_WAIT2",
        6 => "TIME_WAIT",
        7 => "CLOSE",
        8 => "CLOSE_WAIT",
        9 => "LAST_ACK",
        11 => "CLOSING",
        _ => state.ToString(CultureInfo.InvariantCulture),
    };
}

/// <summary>
/// A bounded run of numbered requests shared by a pool of workers: each takes the next number until the count is
/// reached or the time limit passes, and the watchdog ends the process if the run overstays its bounds.
/// </summary>
internal sealed class RequestRun : IDisposable
{
    private readonly int _count;
    private int _next = -1;

    /// <summary>A run of <paramref name="count"/> requests within <paramref name="timeLimitSeconds"/>, each bounded by <paramref name="timeout"/>.</summary>
    public RequestRun(int count, double timeLimitSeconds, TimeSpan timeout)
    {
        _count = count;
        Watchdog.Arm(TimeSpan.FromSeconds(timeLimitSeconds) + timeout + TimeSpan.FromSeconds(30));
        Deadline = new CancellationTokenSource(TimeSpan.FromSeconds(timeLimitSeconds));
    }

    /// <summary>Cancelled when the time limit passes.</summary>
    public CancellationTokenSource Deadline { get; }

    /// <summary>Time since the run was made.</summary>
    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    /// <summary>The next request's number, or false when the run is over.</summary>
    public bool TryTake(out int index)
    {
        index = Interlocked.Increment(ref _next);
        return !Deadline.IsCancellationRequested && index < _count;
    }

    /// <summary>Runs <paramref name="workers"/> copies of <paramref name="worker"/> on the thread pool and waits for them.</summary>
    public static Task RunAsync(int workers, Func<Task> worker) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(worker)));

    /// <inheritdoc />
    public void Dispose() => Deadline.Dispose();
}

/// <summary>
/// Many connections held for a fixed time: the i-th of N is opened ramp·i/N seconds after the start, and a tick loop
/// runs from then until <c>seconds</c> after the ramp ended (every connect finished, or the ramp's bound passed),
/// acting on each connection that has joined. Arms the watchdog for that time and a margin.
/// </summary>
internal sealed class Ramp<T>
    where T : class
{
    private readonly ConcurrentQueue<T> _joined = new();
    private readonly int _clients;
    private readonly double _ramp;
    private readonly double _seconds;
    private readonly TimeSpan _connectTimeout;
    private readonly double _bound;

    public Ramp(int clients, double ramp, double seconds, TimeSpan connectTimeout)
    {
        _clients = clients;
        _ramp = ramp;
        _seconds = seconds;
        _connectTimeout = connectTimeout;
        _bound = ramp + connectTimeout.TotalSeconds + 5;
        Watchdog.Arm(TimeSpan.FromSeconds(_bound + seconds + 30));
    }

    /// <summary>Time since the ramp was made: when each connection joined, when the ramp and the run ended.</summary>
    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    /// <summary>The connections that joined, in the order they did.</summary>
    public List<T> Active { get; } = [];

    /// <summary>When the ramp ended, on <see cref="Clock"/>.</summary>
    public double RampDone { get; private set; }

    /// <summary>When the tick loop ended, on <see cref="Clock"/>.</summary>
    public double Ended { get; private set; }

    /// <summary>
    /// Opens the connections with <paramref name="connect"/> (null: it failed, and recorded why), calls
    /// <paramref name="onTick"/> for each joined connection every <paramref name="tick"/> with the time on
    /// <see cref="Clock"/>, and once the run is over adds the connections that join within the connect timeout.
    /// </summary>
    public async Task RunAsync(TimeSpan tick, Func<Task<T?>> connect, Action<T, double> onTick)
    {
        async Task ConnectOneAsync(int index)
        {
            var delay = _ramp * index / _clients;
            if (delay > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(delay));
            }
            if (await connect() is { } joined)
            {
                _joined.Enqueue(joined);
            }
        }

        var connects = new Task[_clients];
        for (var i = 0; i < _clients; i++)
        {
            connects[i] = ConnectOneAsync(i);
        }
        var allConnected = Task.WhenAll(connects);

        double? rampDone = null;
        using (var timer = new PeriodicTimer(tick))
        {
            while (true)
            {
                Join();
                var now = Clock.Elapsed.TotalSeconds;
                if (rampDone is null && (allConnected.IsCompleted || now > _bound))
                {
                    rampDone = now;
                }
                if (rampDone is not null && now >= rampDone + _seconds)
                {
                    break;
                }
                foreach (var connection in Active)
                {
                    onTick(connection, now);
                }
                await timer.WaitForNextTickAsync();
            }
        }
        RampDone = rampDone.Value;
        Ended = Clock.Elapsed.TotalSeconds;

        // Connects still running are bounded by their timeout; whatever joins late is counted and closed too.
        await Task.WhenAny(allConnected, Task.Delay(_connectTimeout + TimeSpan.FromSeconds(2)));
        Join();
    }

    private void Join()
    {
        while (_joined.TryDequeue(out var connection))
        {
            Active.Add(connection);
        }
    }
}
