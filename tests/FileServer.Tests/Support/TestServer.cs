using FileServer.Hosting;
using Microsoft.Extensions.Logging;

namespace FileServer.Tests.Support;

/// <summary>A real <see cref="FileServerHost"/> on 127.0.0.1 and a free port, with captured logs.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;

    private TestServer(FileServerHost host, CapturingLoggerProvider logs, ILoggerFactory loggerFactory)
    {
        Host = host;
        Logs = logs;
        _loggerFactory = loggerFactory;
    }

    public FileServerHost Host { get; }

    public CapturingLoggerProvider Logs { get; }

    public int Port => Host.LocalEndPoint.Port;

    public static TestServer Start(string root, Func<FileServerOptions, FileServerOptions>? configure = null)
    {
        var logs = new CapturingLoggerProvider();
        var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        var options = new FileServerOptions { Root = root, Host = "127.0.0.1", Port = 0 };
        options = configure?.Invoke(options) ?? options;
        var host = new FileServerHost(options, loggerFactory);
        host.Start();
        return new TestServer(host, logs, loggerFactory);
    }

    public RawHttpConnection Connect() => RawHttpConnection.Open(Port);

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        _loggerFactory.Dispose();
    }
}
