using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using FileServer.Platform;
using FileServer.Tests.Support;
using FileServer.Tls;
using FileServer.Transport;

namespace FileServer.Tests.Transport;

/// <summary>The same write/drain contract over TLS, the handshake, and what happens to clients that do not speak TLS.</summary>
public class TlsTransportTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly TransportOptions Options = new(HighWatermark: 64 * 1024, LowWatermark: 16 * 1024);
    private readonly IPlatform _platform = PlatformDetector.Detect();
    private X509Certificate2 _certificate = null!;
    private SslServerAuthenticationOptions _server = null!;

    [OneTimeSetUp]
    public void MakeCertificate()
    {
        _certificate = TlsCertificates.CreateSelfSigned(TimeProvider.System);
        _server = new TlsSettings(TlsCertificates.ForSelfSigned(_certificate)).CreateAuthenticationOptions();
    }

    [OneTimeTearDown]
    public void Release() => _certificate.Dispose();

    private async Task<(TlsTransport Transport, SslStream Client)> OpenAsync(SocketPair pair)
    {
        var transport = new TlsTransport(pair.Server, _platform, Options, _server);
        var client = new SslStream(new NetworkStream(pair.Client, ownsSocket: false));
        var handshake = client.AuthenticateAsClientAsync(TestCertificates.ClientOptions(_certificate));
        await transport.OpenAsync(CancellationToken.None).AsTask().WaitAsync(Bound);
        await handshake.WaitAsync(Bound);
        return (transport, client);
    }

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer);
        return buffer;
    }

    [Test]
    public async Task Write_ReturnsAtOnce_WithAPeerThatNeverReads_ThenEverythingArrives()
    {
        using var pair = await SocketPair.CreateAsync();
        var (transport, client) = await OpenAsync(pair);
        await using var _ = transport;
        using var __ = client;
        var data = Pattern(8 * 1024 * 1024, 1);

        for (var offset = 0; offset < data.Length; offset += 64 * 1024)
        {
            transport.Write(data.AsSpan(offset, 64 * 1024));
        }

        Assert.That(transport.QueuedBytes, Is.GreaterThan(Options.HighWatermark), "bytes wait in the queue, not in the kernel");
        var drain = transport.DrainAsync().AsTask();
        Assert.That(drain.IsCompleted, Is.False, "drain waits above the high watermark");
        var received = await ReadExactlyAsync(client, data.Length).WaitAsync(Bound);
        await drain.WaitAsync(Bound);
        Assert.That(received, Is.EqualTo(data));
    }

    [Test]
    public async Task Drain_WaitsAboveHigh_AndResumesBelowLow()
    {
        using var pair = await SocketPair.CreateAsync();
        var (transport, client) = await OpenAsync(pair);
        await using var _ = transport;
        using var __ = client;
        var data = Pattern(2 * 1024 * 1024, 2);
        transport.Write(data);
        var queuedWhenResumed = -1L;
        var drain = transport.DrainAsync().AsTask().ContinueWith(_ => queuedWhenResumed = transport.QueuedBytes, TaskScheduler.Default);
        Assert.That(drain.IsCompleted, Is.False);

        var received = await ReadExactlyAsync(client, data.Length).WaitAsync(Bound);
        await drain.WaitAsync(Bound);
        // asyncio's contract: resumed once a send leaves at most the low watermark queued (exactly it, as the pump splits).
        Assert.That(queuedWhenResumed, Is.LessThanOrEqualTo(Options.LowWatermark));
        Assert.That(received, Is.EqualTo(data));
    }

    [Test]
    public async Task PeerReset_SurfacesFromDrain_NotFromWrite()
    {
        using var pair = await SocketPair.CreateAsync();
        var (transport, client) = await OpenAsync(pair);
        await using var _ = transport;
        client.Dispose();
        pair.Client.LingerState = new LingerOption(true, 0);
        pair.Client.Close(); // RST

        var raised = await TransportProbe.WriteUntilDrainFailsAsync(transport, Bound);
        Assert.That(raised, Is.Not.Null, "a send error must reach the writer through DrainAsync");
    }

    [Test]
    public async Task CannotSendFiles_SoBodiesTakeTheCopyLoop()
    {
        using var pair = await SocketPair.CreateAsync();
        var (transport, client) = await OpenAsync(pair);
        await using var _ = transport;
        using var __ = client;
        Assert.That(transport.CanSendFile, Is.False);
    }

    [Test]
    public async Task Close_SendsCloseNotify_SoTheClientReadsACleanEnd()
    {
        using var pair = await SocketPair.CreateAsync();
        var (transport, client) = await OpenAsync(pair);
        using var __ = client;
        transport.Write("last bytes"u8);
        var closing = transport.CloseAsync(TimeSpan.FromSeconds(1), peerSendsNoMore: false).AsTask();
        var received = await ReadExactlyAsync(client, 10).WaitAsync(Bound);
        // A clean TLS end (close_notify) reads as 0; a bare TCP close would throw for a truncated session.
        Assert.That(await client.ReadAsync(new byte[16]).AsTask().WaitAsync(Bound), Is.Zero);
        await closing.WaitAsync(Bound);
        await transport.DisposeAsync();
        Assert.That(Encoding.ASCII.GetString(received), Is.EqualTo("last bytes"));
    }

    [Test]
    public async Task PlainHttp_IsAnswered400InClearText_AndTheHandshakeFails()
    {
        using var pair = await SocketPair.CreateAsync();
        await using var transport = new TlsTransport(pair.Server, _platform, Options, _server);
        await pair.Client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());

        await Assert.ThrowsAsync<IOException>(async () => await transport.OpenAsync(CancellationToken.None).AsTask().WaitAsync(Bound));
        var answer = Encoding.ASCII.GetString(await pair.ReadClientToEndAsync().WaitAsync(Bound));
        Assert.That(answer, Does.StartWith("HTTP/1.1 400 Bad Request\r\n"));
        Assert.That(answer, Does.Contain("plain HTTP request was sent to the HTTPS port"));
    }

    [Test]
    public async Task GarbageBytes_FailTheHandshake()
    {
        using var pair = await SocketPair.CreateAsync();
        await using var transport = new TlsTransport(pair.Server, _platform, Options, _server);
        await pair.Client.SendAsync(new byte[] { 0x00, 0xff, 0x13, 0x37, 0x42 });
        await Assert.ThrowsAsync<IOException>(async () => await transport.OpenAsync(CancellationToken.None).AsTask().WaitAsync(Bound));
    }

    [Test]
    public async Task AClientThatStopsMidHandshake_IsCutByTheToken()
    {
        using var pair = await SocketPair.CreateAsync();
        await using var transport = new TlsTransport(pair.Server, _platform, Options, _server);
        // The start of a ClientHello record that promises 512 bytes and never sends them.
        await pair.Client.SendAsync(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00 });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var failure = await Assert.CatchAsync(async () => await transport.OpenAsync(timeout.Token).AsTask().WaitAsync(Bound));
        Assert.That(failure, Is.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task QueuedSend_CutOffByAbort_CountsTheSegmentsThatLeft()
    {
        // Far more queued than both sockets hold, read in part by the peer before the abort: the segments SslStream
        // had sent are counted though the queued buffer never finished (at most one segment, a few records, less).
        const int size = 32 * 1024 * 1024;
        const int read = 1024 * 1024;
        using var pair = await SocketPair.CreateAsync();
        var (transport, client) = await OpenAsync(pair);
        using var _ = client;
        var data = Pattern(size, 9);
        for (var offset = 0; offset < size; offset += 64 * 1024)
        {
            transport.Write(data.AsSpan(offset, 64 * 1024));
        }
        var drain = transport.DrainAsync().AsTask();

        await ReadExactlyAsync(client, read).WaitAsync(Bound);
        transport.Abort();

        Assert.That(async () => await drain.WaitAsync(Bound), Throws.InstanceOf<IOException>());
        // Disposing waits for the pump to stop, and so for its count.
        await transport.DisposeAsync().AsTask().WaitAsync(Bound);
        Assert.That(transport.BytesSent, Is.GreaterThanOrEqualTo(read - 64 * 1024).And.LessThan(size));
    }
}
