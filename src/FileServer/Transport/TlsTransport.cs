using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Globalization;
using System.Security.Authentication;
using System.Text;
using FileServer.Http;
using FileServer.Platform;

namespace FileServer.Transport;

/// <summary>
/// A TLS connection over <see cref="SslStream"/>: the same write/drain contract and watermarks as a plain
/// socket, but every byte is encrypted in user space, so <see cref="CanSendFile"/> is false and file bodies go
/// through the copy loop. <see cref="OpenAsync"/> runs the server side of the handshake.
/// </summary>
internal sealed class TlsTransport : BufferedTransport
{
    private static readonly TimeSpan PlainHttpLinger = TimeSpan.FromSeconds(1);

    private readonly SslStream _tls;
    private readonly SslServerAuthenticationOptions _authentication;
    private readonly PipeReader _input;

    /// <summary>Takes ownership of a connected socket; nothing is read until <see cref="OpenAsync"/>.</summary>
    public TlsTransport(Socket socket, IPlatform platform, TransportOptions options, SslServerAuthenticationOptions authentication, TimeProvider? clock = null)
        : base(socket, platform, options, clock)
    {
        _authentication = authentication;
        // The handshake's flights are small writes that must not wait for an acknowledgement.
        SendWithoutDelay();
        _tls = new SslStream(new SocketStream(socket), leaveInnerStreamOpen: false);
        _input = PipeReader.Create(_tls, InputOptions);
    }

    /// <inheritdoc />
    public override PipeReader Input => _input;

    /// <inheritdoc />
    public override bool CanSendFile => false;

    /// <summary>The negotiated TLS version as logs name it (<c>TLSv1.3</c>), once open.</summary>
    public string ProtocolName => _tls.SslProtocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        var other => other.ToString(),
    };

    /// <inheritdoc />
    public override bool OpensAtOnce => false;

    /// <inheritdoc />
    public override async ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        await RejectIfNotTlsAsync(cancellationToken).ConfigureAwait(false);
        // The handshake's key exchange is milliseconds of CPU: not on a socket engine thread.
        await ThreadPoolHop.OffEngineThread();
        try
        {
            await _tls.AuthenticateAsServerAsync(_authentication, cancellationToken).ConfigureAwait(false);
        }
        catch (AuthenticationException e)
        {
            // An IOException like every other way a peer can fail us, so callers need no TLS types to catch it.
            throw new IOException($"TLS handshake failed: {e.Message}", e);
        }
        StartPump();
    }

    // A TLS connection starts with a handshake record (content type 22). Anything else is not TLS; plain HTTP
    // (a request line starts with a letter) gets nginx's answer in clear text, so the user sees why.
    private async ValueTask RejectIfNotTlsAsync(CancellationToken cancellationToken)
    {
        const byte HandshakeRecord = 22;
        var first = new byte[1];
        var received = await Socket.ReceiveAsync(first, SocketFlags.Peek, cancellationToken).ConfigureAwait(false);
        if (received == 0)
        {
            throw new IOException("connection closed before the TLS handshake");
        }
        if (first[0] == HandshakeRecord)
        {
            return;
        }
        if (char.IsAsciiLetterUpper((char)first[0]))
        {
            await AnswerPlainHttpAsync(cancellationToken).ConfigureAwait(false);
            throw new IOException("plain HTTP request sent to the HTTPS port");
        }
        throw new IOException($"not a TLS handshake (first byte 0x{first[0]:x2})");
    }

    private async ValueTask AnswerPlainHttpAsync(CancellationToken cancellationToken)
    {
        const string Body = "400 Bad Request: the plain HTTP request was sent to the HTTPS port\n";
        var response = Encoding.ASCII.GetBytes(
            // Date: RFC 9110 §6.6.1 asks it of every 4xx from a server with a clock, this one included.
            "HTTP/1.1 400 Bad Request\r\nDate: " + HttpDate.Format(Clock.GetUtcNow()) +
            "\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: " +
            Body.Length.ToString(CultureInfo.InvariantCulture) + "\r\nConnection: close\r\n\r\n" + Body);
        // Read what the request already sent, so closing with unread input does not reset the connection
        // before the client has read the answer.
        var discard = new byte[4096];
        while (Socket.Available > 0)
        {
            _ = await Socket.ReceiveAsync(discard, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        await Socket.SendAsync(response, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        Socket.Shutdown(SocketShutdown.Send);
        // Then read until the client closes (briefly): request bytes still on their way would otherwise meet a
        // closed socket, and the reset could destroy the answer before the client reads it.
        using var lingerTime = new CancellationTokenSource(PlainHttpLinger, Clock);
        using var linger = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lingerTime.Token);
        try
        {
            while (await Socket.ReceiveAsync(discard, SocketFlags.None, linger.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (OperationCanceledException)
        {
            // The client keeps the connection open: close it anyway.
        }
        catch (SocketException)
        {
            // The client reset the connection: nothing left to protect.
        }
    }

    /// <inheritdoc />
    // Runs once per queued send (every chunk of a body): pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    protected override async ValueTask SendQueuedAsync(ReadOnlySequence<byte> buffer)
    {
        // SslStream cuts each write into records of at most 16 KiB and sends them before returning, so the
        // queue's segments go one after the other; TLS has no gathered write to batch them further.
        long done = 0;
        try
        {
            foreach (var segment in buffer)
            {
                await _tls.WriteAsync(segment).ConfigureAwait(false);
                done += segment.Length;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The queue counts a buffer once all of it has left; of one cut off, the segments SslStream had sent are
            // counted here (a segment cut inside is not: its records are not body bytes). The error goes on up.
            CountSentOutsideQueue(done);
            throw;
        }
    }

    /// <inheritdoc />
    protected override async ValueTask ShutdownSendAsync()
    {
        // close_notify first, so the client can tell a complete response from a truncated one.
        await _tls.ShutdownAsync().ConfigureAwait(false);
        await base.ShutdownSendAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async ValueTask ReleaseAsync() => await _tls.DisposeAsync().ConfigureAwait(false);
}
