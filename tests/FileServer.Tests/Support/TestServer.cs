using System.Security.Cryptography.X509Certificates;
using FileServer.Hosting;
using FileServer.Platform;
using FileServer.Tls;
using Microsoft.Extensions.Logging;

namespace FileServer.Tests.Support;

/// <summary>A real <see cref="FileServerHost"/> on 127.0.0.1 and a free port, with captured logs.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;

    private TestServer(FileServerHost host, CapturingLoggerProvider logs, ILoggerFactory loggerFactory, X509Certificate2? certificate)
    {
        Host = host;
        Logs = logs;
        _loggerFactory = loggerFactory;
        Certificate = certificate;
    }

    /// <summary>The server's self-signed certificate when it serves HTTPS; clients trust exactly this one.</summary>
    public X509Certificate2? Certificate { get; }

    public FileServerHost Host { get; }

    public CapturingLoggerProvider Logs { get; }

    public int Port => Host.LocalEndPoint.Port;

    public static TestServer Start(string root, Func<FileServerOptions, FileServerOptions>? configure = null) =>
        Start(root, tls: false, configure);

    /// <summary>Starts a server; with <paramref name="tls"/>, its port serves HTTPS with a fresh self-signed certificate.</summary>
    public static TestServer Start(string root, bool tls, Func<FileServerOptions, FileServerOptions>? configure = null) =>
        Start(root, tls, configure, platform: null);

    /// <summary>Starts a server on <paramref name="platform"/> (the detected one when null).</summary>
    public static TestServer Start(string root, bool tls, Func<FileServerOptions, FileServerOptions>? configure, IPlatform? platform)
    {
        var logs = new CapturingLoggerProvider();
        var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        var certificate = tls ? TlsCertificates.CreateSelfSigned(TimeProvider.System) : null;
        var options = new FileServerOptions
        {
            Root = root,
            Host = "127.0.0.1",
            Port = 0,
            Tls = certificate is null ? null : new TlsSettings(TlsCertificates.ForSelfSigned(certificate)),
        };
        options = configure?.Invoke(options) ?? options;
        var host = new FileServerHost(options, loggerFactory, platform);
        host.Start();
        return new TestServer(host, logs, loggerFactory, certificate);
    }

    /// <summary>A raw connection to the first listener, over TLS when the server serves HTTPS there.</summary>
    public RawHttpConnection Connect() =>
        Certificate is null || Host.Url.Scheme != "https" ? RawHttpConnection.Open(Port) : RawHttpConnection.OpenTls(Port, Certificate);

    /// <summary>
    /// An <see cref="HttpClient"/> for the first listener: over HTTPS it trusts exactly this server's certificate
    /// and checks it against the host name, as a real client would.
    /// </summary>
    public HttpClient CreateHttpClient()
    {
        var handler = new SocketsHttpHandler();
        if (Certificate is not null && Host.Url.Scheme == "https")
        {
            handler.SslOptions = TestCertificates.ClientOptions(Certificate);
        }
        return new HttpClient(handler) { BaseAddress = Host.Url, Timeout = TimeSpan.FromSeconds(120) };
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        _loggerFactory.Dispose();
    }
}
