using FileServer.Cli.Logging;
using System.CommandLine;
using System.CommandLine.Help;
using FileServer.Hosting;
using FileServer.Tls;
using FileServer.Transport;
using Microsoft.Extensions.Logging;

namespace FileServer.Cli;

/// <summary>The <c>fileserver</c> command: options, parsing, and the exit-code contract (0 ok, 1 cannot start, 2 usage).</summary>
internal static class CommandLine
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new Argument<string>("root") { Description = "Directory to serve", DefaultValueFactory = _ => "." };
        var host = new Option<string>("--host") { Description = "Address to listen on (127.0.0.1, ::1, 0.0.0.0, ::, localhost)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port", "-p") { Description = "TCP port; 0 picks a free one", DefaultValueFactory = _ => 8080 };
        var noSendFile = new Option<bool>("--no-sendfile") { Description = "Send every body through the write-then-drain copy loop" };
        var readyFile = OutputFile("--ready-file", "Write the server's URL to this file once it listens; removed when it stops");
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Trace, Debug, Information, Warning, Error, Critical or None", DefaultValueFactory = _ => LogLevel.Information };
        var followSymlinks = new Option<bool>("--follow-symlinks") { Description = "Serve symlinks that lead outside the root" };
        var noListing = new Option<bool>("--no-listing") { Description = "Answer 404 for a directory without index.html instead of listing it" };
        var cacheControl = new Option<string?>("--cache-control") { Description = "Cache-Control value for every file response, e.g. 'public, max-age=3600'" };
        var mime = new Option<string[]>("--mime") { Description = "Media type for an extension, over the built-in table and /etc/mime.types (repeatable): --mime md=text/markdown", AllowMultipleArgumentsPerToken = false };
        var digest = new Option<bool>("--digest") { Description = "Send Repr-Digest: sha-256 on every file response once computed (else only when asked with Want-Repr-Digest)" };
        var precompressed = new Option<string>("--precompressed") { Description = "Serve file.br/.zst/.gz in place of file when accepted, in this order: e.g. br,zstd,gzip (the default) or none", DefaultValueFactory = _ => "br,zstd,gzip" };
        var dotfiles = new Option<bool>("--dotfiles") { Description = "Serve files and directories whose names start with a dot" };
        var shutdownTimeout = Seconds("--shutdown-timeout", "Seconds running responses may take to finish on SIGTERM/SIGINT (a second signal ends the wait)", 10);
        var headerTimeout = Seconds("--header-timeout", "Seconds a request head may take to arrive once it has begun (408 after)", 30);
        var idleTimeout = Seconds("--idle-timeout", "Seconds a kept-alive connection may wait for its next request", 75);
        var sendTimeout = Seconds("--send-timeout", "Seconds without the client accepting a byte before its response is aborted", 60);
        var highWatermark = Size("--high-watermark", "Queued bytes per connection at which the copy loop waits (e.g. 64k)", "64k");
        var lowWatermark = Size("--low-watermark", "Queued bytes at or below which a waiting copy loop resumes (e.g. 16k)", "16k");
        var chunkSize = Size("--chunk-size", "Most bytes read per step of the copy loop (e.g. 64k, 1m)", "256k");
        var limitRate = Size("--limit-rate", "Bytes per second per response, on both body paths (e.g. 1m); 0 = no limit", "0");
        var noAccessLog = new Option<bool>("--no-access-log") { Description = "Do not write the access log (the same as --access-log off)" };
        var progress = new Option<bool>("--progress") { Description = "On an interactive terminal, a live table of the running transfers (the access log then goes to --access-log only)" };
        var metricsPort = new Option<int?>("--metrics-port") { Description = "Serve the metrics in the Prometheus text format on http://127.0.0.1:N/metrics (0 picks a port)" };
        var logFormat = new Option<string>("--log-format") { Description = "text or json (one object per line, with event ids and properties)", DefaultValueFactory = _ => "text" };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var accessLog = new Option<string>("--access-log") { Description = "Where access lines go: - (stderr), a file (reopened on SIGHUP), or off", DefaultValueFactory = _ => "-" };
        var accessLogFormat = new Option<string?>("--access-log-format") { Description = "common, combined or json (default: the log line on stderr, combined in a file)" };
        accessLogFormat.AcceptOnlyFromAmong("common", "combined", "json");
        var tls = new TlsCommandLine();
        var maxConnections = new Option<int>("--max-connections") { Description = "Connections served at once; more wait in the listen backlog", DefaultValueFactory = _ => 10_000 };
        var loopbackCongestion = new Option<string>("--loopback-congestion")
        {
            Description = "TCP congestion control for clients on this machine: system (the default: the kernel's choice), auto (cubic or reno where the system default is bbr), or a name",
            DefaultValueFactory = _ => LoopbackCongestion.System,
        };
        var trustedProxy = new Option<string[]>("--trusted-proxy") { Description = "A proxy (ADDR or ADDR/PREFIX, repeatable) whose Forwarded or X-Forwarded-For names the client in the access log", AllowMultipleArgumentsPerToken = false };
        trustedProxy.Validators.Add(result =>
        {
            foreach (var value in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (ProxyNetwork(value) is null)
                {
                    result.AddError($"--trusted-proxy '{value}': expected an address or a network, e.g. 10.0.0.0/8 or ::1");
                }
            }
        });
        var openFileCache = new Option<int>("--open-file-cache") { Description = "Files kept open between requests, checked against their path on every request; 0 = off", DefaultValueFactory = _ => 1000 };

        mime.Validators.Add(result =>
        {
            foreach (var value in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (value.Split('=', 2) is not [{ Length: > 0 }, { Length: > 0 }])
                {
                    result.AddError($"--mime '{value}': expected EXT=TYPE, e.g. md=text/markdown");
                }
            }
        });
        root.Validators.Add(result =>
        {
            // With an optional positional argument, an unknown --flag would otherwise be taken for the root.
            if (result.Tokens is [{ Value: ['-', _, ..] value }])
            {
                result.AddError($"unknown option '{value}'");
            }
        });

        // Named as users type it, not after the assembly (a RootCommand takes the executable's name, FileServer.Cli).
        var command = new Command("fileserver", "Serve a directory over HTTP/1.1, with zero-copy sendfile where possible.")
        {
            root, host, port, noSendFile, readyFile, logLevel, followSymlinks, dotfiles, noListing, cacheControl, mime, digest, precompressed, shutdownTimeout,
            headerTimeout, idleTimeout, sendTimeout, highWatermark, lowWatermark, chunkSize, limitRate, maxConnections, openFileCache, noAccessLog, logFormat, accessLog, accessLogFormat, metricsPort, progress,
            loopbackCongestion, trustedProxy, new HelpOption(), new VersionOption { Action = new VersionLine() },
        };
        tls.AddTo(command);
        command.SetAction(async (result, _) =>
        {
            TlsChoice? tlsChoice;
            try
            {
                tlsChoice = tls.IsRequested(result) ? tls.Load(result, TimeProvider.System) : null;
            }
            catch (TlsCertificateException e)
            {
                await StandardStreams.Error.WriteLineAsync($"fileserver: {e.Message}").ConfigureAwait(false);
                return 1;
            }
            var options = new FileServerOptions
            {
                Root = result.GetValue(root)!,
                Host = result.GetValue(host)!,
                Port = result.GetValue(port),
                DisableSendFile = result.GetValue(noSendFile),
                FollowSymlinks = result.GetValue(followSymlinks),
                AllowDotfiles = result.GetValue(dotfiles),
                DisableListing = result.GetValue(noListing),
                CacheControl = result.GetValue(cacheControl),
                AlwaysDigest = result.GetValue(digest),
                Precompressed = result.GetValue(precompressed)!,
                MimeTypes = MimeOverrides(result.GetValue(mime) ?? []),
                TrustedProxies = (result.GetValue(trustedProxy) ?? []).Select(value => ProxyNetwork(value)!.Value).ToList(),
                ShutdownTimeout = TimeSpan.FromSeconds(result.GetValue(shutdownTimeout)),
                HeaderTimeout = TimeSpan.FromSeconds(result.GetValue(headerTimeout)),
                IdleTimeout = TimeSpan.FromSeconds(result.GetValue(idleTimeout)),
                SendTimeout = TimeSpan.FromSeconds(result.GetValue(sendTimeout)),
                Transport = new TransportOptions(
                    HighWatermark: (int)Math.Min(int.MaxValue, result.GetValue(highWatermark)),
                    LowWatermark: (int)Math.Min(int.MaxValue, result.GetValue(lowWatermark))),
                CopyChunkSize = (int)Math.Min(int.MaxValue, result.GetValue(chunkSize)),
                LimitRate = result.GetValue(limitRate),
                MaxConnections = result.GetValue(maxConnections),
                OpenFileCacheSize = result.GetValue(openFileCache),
                LoopbackCongestionControl = result.GetValue(loopbackCongestion)!,
                Tls = tlsChoice?.Settings,
                TlsPort = result.GetValue(tls.Port),
                HandshakeTimeout = TimeSpan.FromSeconds(result.GetValue(tls.HandshakeTimeout)),
            };
            var live = result.GetValue(progress);
            // The live view owns the terminal: access lines would scroll it away, so on stderr they are off.
            var accessTarget = result.GetValue(noAccessLog) || result.GetValue(accessLog) == "off" || (live && result.GetValue(accessLog) == "-")
                ? null
                : result.GetValue(accessLog);
            var logging = new LoggingChoice(result.GetValue(logLevel), result.GetValue(logFormat) == "json", accessTarget,
                result.GetValue(accessLogFormat) is { } chosen ? Enum.Parse<AccessLogFormat>(chosen, ignoreCase: true) : null);
            return await ServeCommand.RunAsync(options, logging, result.GetValue(readyFile), tlsChoice, result.GetValue(metricsPort), live).ConfigureAwait(false);
        });

        var parsed = command.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await StandardStreams.Error.WriteLineAsync($"fileserver: {parsed.Errors[0].Message} (see --help)").ConfigureAwait(false);
            return 2;
        }
        // Signals are ours to handle (graceful shutdown), not System.CommandLine's.
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, Output = StandardStreams.Out, Error = StandardStreams.Error }).ConfigureAwait(false);
    }

    /// <summary>An option naming a file the server writes; an empty name is a usage error, not a crash at write time.</summary>
    // "md=text/markdown" pairs; a malformed one is refused by the option's validator before this runs.
    private static Dictionary<string, string> MimeOverrides(string[] pairs) =>
        pairs.Select(p => p.Split('=', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);

    internal static Option<string?> OutputFile(string name, string description)
    {
        var option = new Option<string?>(name) { Description = description };
        option.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string?>()))
            {
                result.AddError($"{name} needs a file name");
            }
        });
        return option;
    }

    internal static Option<double> Seconds(string name, string description, double defaultValue) =>
        new(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0 && value <= 86_400 * 365)
                {
                    return value;
                }
                result.AddError($"{name} takes a positive number of seconds, not '{text}'");
                return defaultValue;
            },
        };

    private static Option<long> Size(string name, string description, string defaultValue) =>
        new(name)
        {
            Description = description,
            DefaultValueFactory = _ => ByteSize.TryParse(defaultValue, out var bytes) ? bytes : 0,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                if (ByteSize.TryParse(text, out var bytes))
                {
                    return bytes;
                }
                result.AddError($"{name} takes a size such as 65536, 64k, 1m or 2g, not '{text}'");
                return 0;
            },
        };

    // An address alone is a network of one: 10.0.0.2 is 10.0.0.2/32, ::1 is ::1/128.
    private static System.Net.IPNetwork? ProxyNetwork(string value) =>
        System.Net.IPNetwork.TryParse(value, out var network) ? network
        : System.Net.IPAddress.TryParse(value, out var address) ? new System.Net.IPNetwork(address, address.GetAddressBytes().Length * 8)
        : null;
}
