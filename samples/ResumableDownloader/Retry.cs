using System.Net.Http;

namespace ResumableDownloader;

/// <summary>A download that failed for good: the server refused, or the file changed or did not verify.</summary>
internal sealed class DownloadException(string message) : Exception(message);

/// <summary>
/// Runs an operation again after a network error (refused connection, reset, a body cut short), waiting 0.25 s, 0.5 s,
/// 1 s… (at most 8 s) between attempts; an HTTP answer that says no is not retried.
/// </summary>
internal sealed class Retry(int attempts, TextWriter log)
{
    private static readonly TimeSpan First = TimeSpan.FromMilliseconds(250), Longest = TimeSpan.FromSeconds(8);

    /// <summary>The operation's result, after at most the configured attempts.</summary>
    public async Task<T> RunAsync<T>(string what, Func<CancellationToken, Task<T>> operation, CancellationToken cancel)
    {
        var wait = First;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation(cancel);
            }
            catch (Exception e) when (IsNetworkError(e, cancel) && attempt < attempts)
            {
                log.WriteLine($"{what}: {e.GetBaseException().Message}; retrying in {wait.TotalSeconds:0.##} s (attempt {attempt + 1} of {attempts})");
                await Task.Delay(wait, cancel);
                wait = wait * 2 < Longest ? wait * 2 : Longest;
            }
        }
    }

    private static bool IsNetworkError(Exception e, CancellationToken cancel) =>
        e is HttpRequestException or IOException || (e is OperationCanceledException && !cancel.IsCancellationRequested);
}
