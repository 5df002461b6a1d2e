// A downloader for large files over HTTP: resumes with Range + If-Range, retries network errors with exponential
// back-off, downloads in N parallel ranges when asked, shows its progress, and verifies the SHA-256 the server offers
// (Repr-Digest, RFC 9530, or a .sha256 sibling). Any HTTP/1.1 server with ranges will do; FileServer offers both digests.
//
//   dotnet run --project samples/ResumableDownloader -- URL OUTPUT [--parallel N] [--attempts N]
using ResumableDownloader;

if (args.Length < 2 || args[0].StartsWith('-'))
{
    Console.Error.WriteLine("usage: ResumableDownloader URL OUTPUT [--parallel N] [--attempts N]");
    return 2;
}
var parallel = 1;
var attempts = 8;
for (var i = 2; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--parallel" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n >= 1:
            parallel = n;
            i++;
            break;
        case "--attempts" when i + 1 < args.Length && int.TryParse(args[i + 1], out var a) && a >= 1:
            attempts = a;
            i++;
            break;
        default:
            Console.Error.WriteLine($"unknown or incomplete option '{args[i]}'");
            return 2;
    }
}

using var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.None })
{
    // A read that stalls this long counts as a network error, to be retried.
    Timeout = Timeout.InfiniteTimeSpan,
};
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
try
{
    var downloader = new Downloader(http, new Uri(args[0]), args[1], parallel, new Retry(attempts, Console.Out));
    return await downloader.RunAsync(stop.Token);
}
catch (DownloadException e)
{
    Console.Error.WriteLine($"download failed: {e.Message}");
    return 1;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine("interrupted; run again to resume");
    return 130;
}
