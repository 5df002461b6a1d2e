using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;

namespace LoadGen;

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
