using FileServer.Http;
using FileServer.Tls;
using FileServer.Transport;

namespace FileServer.Hosting;

/// <summary>Everything that configures a server, validated once at start-up by <see cref="Validate"/>.</summary>
public sealed record FileServerOptions
{
    /// <summary>The directory to serve.</summary>
    public required string Root { get; init; }

    /// <summary>The address or host name to listen on: <c>127.0.0.1</c>, <c>::1</c>, <c>0.0.0.0</c>, <c>::</c>, <c>localhost</c>…</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The TCP port; 0 picks a free one (see <c>FileServerHost.Url</c>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Serves HTTPS with these settings; null serves plain HTTP only.</summary>
    public TlsSettings? Tls { get; init; }

    /// <summary>
    /// With <see cref="Tls"/>: null makes <see cref="Port"/> the HTTPS port; a number listens for HTTPS there and
    /// keeps plain HTTP on <see cref="Port"/> (0 picks a free port).
    /// </summary>
    public int? TlsPort { get; init; }

    /// <summary>Time a TLS client may take to complete its handshake (no bound is needed for plain HTTP, which has none).</summary>
    // Kept here, not in TlsSettings, so a plain-HTTP connection never touches (and loads) the TLS types.
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Forces the write-then-drain copy loop even where zero-copy is possible.</summary>
    public bool DisableSendFile { get; init; }

    /// <summary>
    /// TCP congestion control for clients on this machine: <c>system</c> (the default: the kernel's choice, as for
    /// every other connection — the administrator's configuration is respected unless asked otherwise), <c>auto</c>
    /// (cubic, or reno, where the system's default is a BBR version) or an algorithm's name. See
    /// <see cref="LoopbackCongestion"/>.
    /// </summary>
    public string LoopbackCongestionControl { get; init; } = LoopbackCongestion.System;

    /// <summary>Serves symlinks whose target lies outside the root.</summary>
    public bool FollowSymlinks { get; init; }

    /// <summary>Serves files and directories whose name starts with a dot.</summary>
    public bool AllowDotfiles { get; init; }

    /// <summary>Answers 404 for a directory without <c>index.html</c> instead of listing it.</summary>
    public bool DisableListing { get; init; }

    /// <summary>
    /// Encoded siblings served in a file's place when the client accepts them, most preferred first: codings from
    /// <c>br</c>, <c>zstd</c>, <c>gzip</c> separated by commas, or <c>none</c>.
    /// </summary>
    public string Precompressed { get; init; } = "br,zstd,gzip";

    /// <summary>Sends <c>Repr-Digest</c> (SHA-256) on every file response once it is computed, not only when asked.</summary>
    public bool AlwaysDigest { get; init; }

    /// <summary>The <c>Cache-Control</c> value every file response carries; none when null.</summary>
    public string? CacheControl { get; init; }

    /// <summary>A <c>mime.types</c> file whose extensions the built-in table lacks are added; none when null.</summary>
    public string? MimeTypesFile { get; init; } = "/etc/mime.types";

    /// <summary>Media types by extension (<c>md</c> or <c>.md</c>), over the built-in table and <see cref="MimeTypesFile"/>.</summary>
    public IReadOnlyDictionary<string, string> MimeTypes { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Proxies (balancers, CDNs) whose <c>Forwarded</c> or <c>X-Forwarded-For</c> names the client in the access log
    /// and the live view; from anyone else those fields are ignored. None by default.
    /// </summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxies { get; init; } = [];

    /// <summary>Watermarks and send-file slice size.</summary>
    public TransportOptions Transport { get; init; } = TransportOptions.Default;

    /// <summary>
    /// Most bytes read per iteration of the copy loop. A read never queues past the high watermark: only a peer
    /// whose socket takes the bytes at once gets chunks this large (fewer reads and sends per GiB).
    /// </summary>
    public int CopyChunkSize { get; init; } = 256 * 1024;

    /// <summary>Request head size limits.</summary>
    public RequestLimits Limits { get; init; } = RequestLimits.Default;

    /// <summary>Time a request head may take to arrive in full once its first byte came (slowloris guard).</summary>
    public TimeSpan HeaderTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time a kept-alive connection may sit idle between requests.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>How long without a connection opened or closed or a request answered before the memory a burst left is given back.</summary>
    internal TimeSpan IdleTrimAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>On stop, how long running responses may take to finish before they are aborted.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>After a response that closes the connection, how long to read and discard what the client still sends.</summary>
    public TimeSpan LingerTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A response makes no progress (the peer accepts no byte) for this long → the connection is aborted.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Most connections served at once; past it, new connections wait in the kernel's listen backlog until a
    /// slot frees (like nginx's <c>worker_connections</c>), rather than being refused.
    /// </summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>Bytes per second each response body may use; 0 for no limit (nginx's <c>limit_rate</c>).</summary>
    public long LimitRate { get; init; }

    /// <summary>A request body (unexpected on GET/HEAD) up to this size is read and discarded; a larger one closes the connection.</summary>
    public long MaxDiscardedBodyBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Files kept open between requests (nginx's <c>open_file_cache max=</c>), each still checked against its path
    /// on every request; 0 opens and closes the file for every request. Capped at an eighth of the open-file limit.
    /// </summary>
    public int OpenFileCacheSize { get; init; } = 1000;

    /// <summary>A cached file nobody asks for in this long is closed (within twice this), giving back a deleted file's space.</summary>
    public TimeSpan OpenFileCacheInactiveTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws <see cref="ArgumentException"/> with a one-line message for an invalid setting.</summary>
    public void Validate()
    {
        // A field value is visible ASCII, spaces and tabs (RFC 9110 §5.5): a line break would let it add fields.
        if (CacheControl is not null && (CacheControl.Trim().Length == 0 || CacheControl.Any(c => c is not ('\t' or (>= ' ' and <= '~')))))
        {
            throw new ArgumentException($"--cache-control '{CacheControl}' is not a valid field value");
        }
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"port {Port} is out of range 0-65535");
        }
        if (TlsPort is < 0 or > 65535)
        {
            throw new ArgumentException($"TLS port {TlsPort} is out of range 0-65535");
        }
        if (TlsPort is not null && Tls is null)
        {
            throw new ArgumentException("a TLS port needs a certificate (--tls-cert/--tls-key, --tls-pfx or --tls-self-signed)");
        }
        // At most 15 characters (Linux's TCP_CA_NAME_MAX less its NUL); the spelling is ours, that of every algorithm
        // the kernel ships, so a typo such as "Cubic" or "cubic " is a usage error, not a refusal at start.
        if (LoopbackCongestionControl.Length is 0 or > 15 || !LoopbackCongestionControl.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
        {
            throw new ArgumentException($"'{LoopbackCongestionControl}' is not a congestion control name (auto, system, cubic, reno, bbr...)");
        }
        if (CopyChunkSize is < 4096 or > 16 * 1024 * 1024)
        {
            throw new ArgumentException($"chunk size {CopyChunkSize} is outside 4k-16m");
        }
        Transport.Validate();
        if (MaxConnections < 1)
        {
            throw new ArgumentException("max connections must be at least 1");
        }
        if (OpenFileCacheSize < 0)
        {
            throw new ArgumentException("open file cache size must not be negative");
        }
        if (LimitRate < 0)
        {
            throw new ArgumentException("limit rate must not be negative");
        }
        foreach (var (name, value) in new[]
                 {
                     ("header timeout", HeaderTimeout), ("idle timeout", IdleTimeout), ("send timeout", SendTimeout),
                     ("shutdown timeout", ShutdownTimeout), ("TLS handshake timeout", HandshakeTimeout),
                     ("open file cache inactive time", OpenFileCacheInactiveTime),
                 })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentException($"{name} must be positive");
            }
        }
    }
}
