using System.Net;
using System.Runtime.CompilerServices;
using System.Net.Sockets;
using FileServer.Http;
using FileServer.Platform;
using FileServer.Serving;
using FileServer.Transport;
using Microsoft.Extensions.Logging;

namespace FileServer.Hosting;

/// <summary>
/// A file server: construct it with its <see cref="FileServerOptions"/>, <see cref="Start"/> it (it binds and serves
/// on the thread pool; <see cref="Urls"/> then says where), and <see cref="StopAsync"/> it (it stops accepting,
/// closes idle connections, gives running responses <see cref="FileServerOptions.ShutdownTimeout"/>, then aborts
/// them). Disposing stops it too.
/// </summary>
public sealed class FileServerHost : IAsyncDisposable
{
    /// <summary>
    /// The logger category of the access log: one event (id 2) per response, whose state is an
    /// <see cref="AccessRecord"/> (a provider can write its own layout from the fields).
    /// </summary>
    public const string AccessLogCategory = "FileServer.Access";

    /// <summary>The name of the server's <see cref="System.Diagnostics.Metrics.Meter"/> (requests, bytes, transfers, durations).</summary>
    public const string MeterName = ServerMetrics.MeterName;

    private readonly FileServerOptions _options;
    private readonly IPlatform _platform;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly ILogger _accessLog;
    private readonly ConnectionRegistry _connections = new();
    // One delegate for every connection's end, not one per connection.
    private readonly Action<Connection> _endConnection;
    private readonly CancellationTokenSource _stopAccepting = new();
    private readonly CancellationTokenSource _graceOver = new();
    private readonly List<Listener> _listeners = [];
    private RequestDispatcher? _dispatcher;
    private ResponseWriter? _responses;
    private RequestHeadParser? _parser;
    private LoopbackCongestion? _loopbackCongestion;
    private SendTimeoutWatchdog? _watchdog;
    private IdleMemoryTrim? _trim;
    private ReadResumption? _resumption;
    private readonly SocketEngines _engines;
    private ColdRangeWarmer? _warmer;
    private long _connectionsEnded;
    private OpenFileCache? _files;
    private DigestCache? _digests;
    private IFileRoot? _root;
    private DescriptorReserve? _reserve;
    private ConnectionSlots? _connectionSlots;
    private Task _acceptLoop = Task.CompletedTask;
    private Task? _stopping;
    private long _connectionsAccepted;

    /// <summary>Creates a server; nothing is bound until <see cref="Start"/>.</summary>
    /// <param name="options">What to serve and how; validated by <see cref="Start"/>.</param>
    /// <param name="loggerFactory">Where its logs and access log go; none when null.</param>
    public FileServerHost(FileServerOptions options, ILoggerFactory? loggerFactory = null)
        : this(options, loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, null, null)
    {
    }

    /// <summary>A server on a given platform, clock and socket engines (tests).</summary>
    internal FileServerHost(FileServerOptions options, ILoggerFactory loggerFactory, IPlatform? platform, TimeProvider? clock = null, SocketEngines? engines = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _platform = platform ?? PlatformDetector.Detect();
        _endConnection = EndConnection;
        _engines = engines ?? SocketEngines.FromEnvironment();
        _clock = clock ?? TimeProvider.System;
        _log = loggerFactory.CreateLogger("FileServer");
        _accessLog = loggerFactory.CreateLogger(AccessLogCategory);
        Metrics = new ServerMetrics(() => _files);
    }

    /// <summary>The bound address of the first listener (HTTPS when it listens), with the real port when 0 was asked for.</summary>
    public IPEndPoint LocalEndPoint => Primary.EndPoint;

    /// <summary>The base URL of the first listener, e.g. <c>https://127.0.0.1:8443/</c> or <c>http://[::1]:8080/</c>.</summary>
    public Uri Url => Primary.Url;

    /// <summary>Every base URL listened on, HTTPS first.</summary>
    public IReadOnlyList<Uri> Urls => _listeners.Select(l => l.Url).ToList();

    /// <summary><see cref="Urls"/> as strings, without making a <see cref="Uri"/>.</summary>
    internal IReadOnlyList<string> BaseUrls => _listeners.Select(l => l.BaseUrl).ToList();

    private Listener Primary => _listeners.Count > 0 ? _listeners[0] : throw new InvalidOperationException("not started");

    /// <summary>The server's instruments (meter <c>FileServer</c>).</summary>
    internal ServerMetrics Metrics { get; }

    /// <summary>The response bodies being sent now (a snapshot), for a live view.</summary>
    public IReadOnlyList<TransferView> ActiveTransfers() => _connections.Transfers();

    /// <summary>Connections open now.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Requests served and allocation per request, for logs and benchmarks.</summary>
    internal ServerStatistics Statistics { get; } = new();

    /// <summary>Validates the options and the root, binds, and starts accepting.</summary>
    /// <exception cref="StartupException">With a one-line message for the user.</exception>
    public void Start()
    {
        try
        {
            _options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new StartupException(e.Message, e);
        }
        // Before anything that holds resources: a refused name ends the start here.
        var systemCongestion = _platform.DefaultCongestionControl;
        _loopbackCongestion = LoopbackCongestion.Resolve(_options.LoopbackCongestionControl, systemCongestion, _platform);
        var root = ResolveRoot(_options.Root);
        var openFileLimit = _platform.RaiseOpenFileLimit();
        if (openFileLimit is { } limit)
        {
            ServerLog.OpenFileLimit(_log, limit);
        }
        // Connections need descriptors more than the cache does: it gets an eighth of the limit at most.
        var cacheSize = (int)Math.Min((ulong)_options.OpenFileCacheSize, (openFileLimit ?? 1024) / 8);
        _files = new OpenFileCache(cacheSize, _options.OpenFileCacheInactiveTime, _clock);
        _root = OpenRoot(root);
        ContentTypeMap contentTypes;
        IReadOnlyList<string> precompressionOrder;
        try
        {
            contentTypes = new ContentTypeMap(_options.MimeTypesFile, _options.MimeTypes);
            precompressionOrder = PrecompressedSiblings.ParseOrder(_options.Precompressed);
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new StartupException(e.Message, e);
        }
        _responses = new ResponseWriter(new DateHeaderCache(_clock));
        _parser = new RequestHeadParser(_options.Limits);
        var resolver = new PathResolver(_root, _options.AllowDotfiles, _files, listDirectories: !_options.DisableListing);
        var openFailures = new FileOpenFailures(_responses, _clock, _log);
        _warmer = new ColdRangeWarmer(_platform, readers: 8);
        var chooser = new BodyPathChooser(_options.DisableSendFile, _options.CopyChunkSize, _options.LimitRate, _clock, _log, _warmer);
        var fileHandler = new FileRequestHandler(resolver, contentTypes, chooser, _responses, _files, openFailures, _clock, _options.CacheControl,
            _digests = new DigestCache(_root, _platform, _log), _options.AlwaysDigest);
        var listings = new DirectoryListingHandler(resolver, _responses, openFailures);
        _dispatcher = new RequestDispatcher(resolver, fileHandler, listings, _responses, openFailures, new DigestSiblingHandler(_digests, _responses),
            new PrecompressedSiblings(precompressionOrder, _root), new ArchiveHandler(resolver, chooser, _responses, openFailures));
        _reserve = new DescriptorReserve();
        var (maxConnections, budget) = CapConnections(openFileLimit, cacheSize);
        _resumption = new ReadResumption(OpenConnections, ReadResumption.DefaultInlineUpTo);
        _listeners.AddRange(new ListenerBinder(_options, _platform, _resumption, _engines.ListenersPerAddress, new SharedLoopbackSendBuffer(OpenConnections)).BindAll());
        if (budget is { } capped)
        {
            // Only once the start has succeeded: a start that fails says one line, its reason.
            ServerLog.ConnectionsCapped(_log, _options.MaxConnections, maxConnections, capped.Limit, DescriptorBudget.PerConnection, capped.Reserved);
        }
        if (_loopbackCongestion is not null)
        {
            ServerLog.LoopbackCongestion(_log, _loopbackCongestion.Algorithm, systemCongestion ?? "unknown");
        }
        _watchdog = new SendTimeoutWatchdog(_connections, _options.SendTimeout, _clock, _log, Metrics);
        // Activity: connections opened and closed, and requests answered (keep-alive traffic opens none).
        _trim = new IdleMemoryTrim(_options.IdleTrimAfter,
            () => Interlocked.Read(ref _connectionsAccepted) + Interlocked.Read(ref _connectionsEnded) + Statistics.Requests, OpenConnections,
            _platform.TrimNativeHeap, _clock, _log);
        _connectionSlots = new ConnectionSlots(maxConnections);
        ServerLog.Started(_log, root, string.Join(' ', BaseUrls), _platform.Name, _options.DisableSendFile ? "off" : "on", _root.Confinement);
        var outOfDescriptorsLog = new LogThrottle(_clock, TimeSpan.FromSeconds(1));
        _acceptLoop = Task.WhenAll(_listeners.SelectMany(listener => listener.Sockets.Select(socket =>
            new AcceptLoop(listener, socket, _connectionSlots, _reserve, outOfDescriptorsLog, StartConnection, _clock, _log).RunAsync(_stopAccepting.Token))));
    }

    /// <summary>
    /// Stops: no new connections, idle ones closed, running responses get <see cref="FileServerOptions.ShutdownTimeout"/>
    /// to finish, then are aborted. Safe to call more than once.
    /// </summary>
    public Task StopAsync() => _stopping ??= StopCoreAsync();

    /// <summary>
    /// Ends the grace period of <see cref="StopAsync"/> at once (or, called first, makes it none): responses still
    /// running are aborted. For an impatient second SIGINT.
    /// </summary>
    public void StopNow() => _graceOver.Cancel();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopAccepting.Dispose();
        Metrics.Dispose();
        // _graceOver is left to the GC: a late second signal may still call StopNow, which must not throw, and a
        // token source without a timer of its own holds nothing the GC cannot release.
    }

    private async Task StopCoreAsync()
    {
        if (_listeners.Count == 0)
        {
            // Never started (or failed to): nothing to stop, nothing to report; what a failed start opened is closed.
            _files?.Dispose();
            if (_digests is not null)
            {
                await _digests.DisposeAsync().ConfigureAwait(false);
            }
            _root?.Dispose();
            _reserve?.Dispose();
            return;
        }
        await _stopAccepting.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }
        await _acceptLoop.ConfigureAwait(false);
        await _connections.StopAsync(_options.ShutdownTimeout, _clock, _log, Metrics, _graceOver.Token).ConfigureAwait(false);
        await _watchdog!.DisposeAsync().ConfigureAwait(false);
        _connectionSlots!.Dispose();
        await _trim!.DisposeAsync().ConfigureAwait(false);
        _warmer?.Dispose();
        await _digests!.DisposeAsync().ConfigureAwait(false);
        _files!.Dispose();
        _root?.Dispose();
        _reserve?.Dispose();
        ServerLog.Stopped(_log, Statistics.Requests, Statistics.AllocatedBytesPerRequest() ?? 0);
    }

    private string ResolveRoot(string root)
    {
        var status = _platform.GetStatus(root);
        if (status is null)
        {
            throw new StartupException($"root directory '{root}' does not exist");
        }
        if (status.Value.Kind != FileKind.Directory)
        {
            throw new StartupException($"root '{root}' is not a directory");
        }
        return _platform.ResolveRealPath(root) ?? throw new StartupException($"root directory '{root}' cannot be resolved");
    }

    // Counted once what the server holds for good is open (root, reserve; the listeners' one or two come next): what is left of the
    // limit decides how many connections can be carried without running out.
    // The budget is returned when it lowers --max-connections, to be logged once the start has succeeded.
    private (int MaxConnections, DescriptorBudget? CappedBy) CapConnections(ulong? openFileLimit, int cacheSize)
    {
        if (openFileLimit is not { } limit || _platform.CountOpenDescriptors() is not { } inUse)
        {
            return (_options.MaxConnections, null);
        }
        var budget = new DescriptorBudget(limit, inUse, cacheSize);
        if (budget.MaxConnections < 1)
        {
            throw new StartupException($"the open-file limit ({limit}) is too low to serve: {budget.Reserved} descriptors are needed before the first connection; raise it (ulimit -n)");
        }
        return budget.MaxConnections >= _options.MaxConnections ? (_options.MaxConnections, null) : (budget.MaxConnections, budget);
    }

    private IFileRoot OpenRoot(string realPath)
    {
        try
        {
            return _platform.OpenRoot(realPath, _options.FollowSymlinks);
        }
        catch (IOException e)
        {
            throw new StartupException($"root directory '{realPath}' cannot be opened: {e.Message}", e);
        }
    }

    private void StartConnection(Socket socket, ITransportFactory transports)
    {
        if (_loopbackCongestion?.Apply(socket) == CongestionChoice.Refused)
        {
            ServerLog.CongestionRefused(_log, socket.RemoteEndPoint?.ToString() ?? "?", _loopbackCongestion.Algorithm);
        }
        var transport = transports.Create(socket, _platform, _options.Transport, _clock);
        var connection = new Connection(transport, _dispatcher!, _responses!, _parser!, _options, _log, _accessLog, _clock, Statistics, Metrics,
            Interlocked.Increment(ref _connectionsAccepted), _endConnection);
        _connections.Track(connection, _stopAccepting.Token);
        // Before it runs: a connection that runs here may be answered, and waiting again, before this call returns.
        _watchdog!.Wake();
        _trim!.Wake();
        ConnectionRegistry.Run(connection, here: _resumption!.StartsHere);
    }

    private long OpenConnections() => Interlocked.Read(ref _connectionsAccepted) - Interlocked.Read(ref _connectionsEnded);

    private void EndConnection(Connection connection)
    {
        _connections.Ended(connection);
        _connectionSlots!.Give();
        Interlocked.Increment(ref _connectionsEnded);
    }
}
