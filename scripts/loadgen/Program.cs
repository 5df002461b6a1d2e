// LoadGen: the raw-socket load generator behind scripts/stress.sh.
//
//   dotnet build scripts/loadgen -c Release -o DIR
//   dotnet DIR/LoadGen.dll MODE --url http://127.0.0.1:PORT/path [options]
//   (slow-readers and download also take an https:// URL: TLS through SslStream, see --ca)
//
// Every mode prints its summary as key=value lines on stdout (diagnostics go to stderr), and is bounded:
// each loop has a count and a deadline, and a watchdog exits the process (code 3) if a mode overruns its
// own time bound by a margin. Exit codes: 0 the run finished (read the summary for failures), 1 a fatal
// error (or, for download, a failed request), 2 usage, 3 watchdog.
using LoadGen;

const string Usage = """
    usage: LoadGen MODE --url http://HOST:PORT/PATH [options]     (sizes accept k, m, g suffixes)

      slow-readers  --clients 1000 --rate 16k --seconds 20 [--rcvbuf 16k] [--ramp-seconds 2] [--connect-timeout 10]
                    [--verify FILE] [--ca PEM]
                    N connections (SO_RCVBUF set before connect), one GET each, then each reads at most rate/4 bytes
                    every 250 ms for S seconds (counted once every connection is up), then closes. --verify: every
                    body byte read must equal FILE's byte at that offset (wrong_body_clients counts the others).
                    https:// URL: the same over TLS (handshake within the connect timeout; plaintext rate).
      abort-storm   --requests 10000 --concurrency 100 [--max-bytes 1m] [--seed 1] [--time-limit 300] [--timeout 10]
                    connect, GET, read a random byte count (10 % none, 10 % inside the head, else uniform in
                    [0, max-bytes]), close: odd requests with RST (SO_LINGER 0), even ones with shutdown+close.
      slowloris     --clients 500 --interval-ms 2000 --seconds 30 [--ramp-seconds 1] [--connect-timeout 10]
                    each connection sends a never-ending request head one byte per interval; records when the
                    server answered and when it closed (EOF or RST), relative to the connection's connect time.
      download      --count 100 --concurrency 4 [--sha256 HEX] [--timeout 120] [--time-limit 600] [--ca PEM]
                    GETs over keep-alive connections; checks 200, Content-Length bytes and the SHA-256.
                    https:// URL: over TLS.
      stalled       --read-bytes 1m --seconds 20 [--rcvbuf 0] [--probe-ms 200]
                    one GET, read N bytes, then stop reading and wait for the server to drop the connection.
                    Detection: TCP_INFO state every 50 ms, plus a 2-byte probe ("\r\n", an empty line a server
                    ignores before a request line) every probe-ms: once the server has closed its socket, the
                    probe draws an RST, so the drop is seen even though the server's FIN is stuck behind the
                    unread body in the zero window. Reports the time since the reads stopped and since the
                    receive queue last grew (when the peer last accepted a byte).
      idle          --clients 10000 --seconds 10 [--connect-timeout 10]
                    N keep-alive connections, one GET each (response read whole), then all held idle for S seconds;
                    prints holding=N once they are idle, so the server's memory can be sampled meanwhile.
      rate          --seconds 10 [--timeout 10]
                    one GET, reads as fast as possible for S seconds after the head (or until the body ends);
                    reports the body rate over the window, and the rate after the first second.

      ranges        --file PATH --count 1000 --concurrency 2 [--seed 1] [--time-limit 300] [--ca PEM]
                    random "a-b", "-n" and resume "a-" ranges over keep-alive connections; every body byte compared
                    with PATH (the file the server serves); counts ok, wrong_bytes and failed. https:// URL: over TLS.
      race          --swap PATH --with PATH --outside-marker TEXT [--clients 4] [--seconds 10]
                    GETs the URL over keep-alive connections while PATH and PATH change places (renameat2
                    RENAME_EXCHANGE) in a loop; a 200 whose body contains TEXT counts as outside (an escape).

      TLS (https:// URLs: slow-readers, download and ranges): --ca PEM makes the server's certificate chain end at
      a certificate of PEM and name the URL's host (a self-signed server certificate is its own anchor);
      without --ca any certificate is accepted (loopback load against a server the caller started).
    """;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.Out.Write(Usage);
    return args.Length == 0 ? 2 : 0;
}

try
{
    var mode = args[0];
    var options = Args.Parse(args[1..]);
    // Every mode needs --url, parsed here; the modes that can speak TLS take an https:// one too.
    (Func<Target, Args, Task<int>> Run, bool Tls) entry = mode switch
    {
        "slow-readers" => (SlowReaders.RunAsync, true),
        "abort-storm" => (AbortStorm.RunAsync, false),
        "slowloris" => (Slowloris.RunAsync, false),
        "download" => (Download.RunAsync, true),
        "stalled" => (Stalled.RunAsync, false),
        "rate" => (RateProbe.RunAsync, false),
        "idle" => (IdleConnections.RunAsync, false),
        "ranges" => (Ranges.RunAsync, true),
        "race" => (Race.RunAsync, false),
        _ => throw new UsageException($"unknown mode '{mode}'"),
    };
    Report.Put("mode", mode);
    var code = await entry.Run(Target.Parse(options.Required("url"), entry.Tls), options);
    await Console.Out.FlushAsync();
    return code;
}
catch (UsageException e)
{
    await Console.Error.WriteLineAsync($"loadgen: {e.Message} (LoadGen --help lists the modes and options)");
    return 2;
}
catch (Exception e) when (Errors.IsNetwork(e))
{
    await Console.Out.FlushAsync();
    await Console.Error.WriteLineAsync($"loadgen: {Errors.Kind(e)}: {e.Message}");
    return 1;
}
