using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace ResumableDownloader;

/// <summary>
/// Downloads one URL to a file. Bytes go to <c>OUTPUT.part</c>; the validator they belong to (the strong ETag, or
/// else Last-Modified) to <c>OUTPUT.part.validator</c>, so a later run resumes them. Every range request carries
/// <c>If-Range</c>: when the file changed on the server meanwhile, the answer is the whole new file (200), not a
/// piece of it spliced onto the old one.
/// </summary>
internal sealed class Downloader(HttpClient http, Uri url, string output, int parallel, Retry retry)
{
    private readonly string _part = output + ".part";
    private readonly string _validatorFile = output + ".part.validator";

    /// <summary>Downloads, verifies, and renames the part into place; 0 when verified or nothing was offered to verify with.</summary>
    public async Task<int> RunAsync(CancellationToken cancel)
    {
        var head = await retry.RunAsync("HEAD", token => Representation.ReadAsync(http, url, HttpMethod.Head, token), cancel);
        var resumable = head.Validator is not null && head.AcceptsRanges && head.Length is not null;
        if (!resumable || !File.Exists(_validatorFile) || await File.ReadAllTextAsync(_validatorFile, cancel) != head.Validator)
        {
            // Nothing of this version yet: a fresh part file.
            File.Delete(_part);
        }
        if (head.Validator is not null)
        {
            await File.WriteAllTextAsync(_validatorFile, head.Validator, cancel);
        }
        var progress = new ProgressLine(head.Length, Console.Error);
        if (resumable && parallel > 1 && !File.Exists(_part))
        {
            await DownloadInRangesAsync(head, progress, cancel);
        }
        else
        {
            await DownloadSequentiallyAsync(head, progress, cancel);
        }
        progress.Done();
        await VerifyAsync(head, cancel);
        File.Move(_part, output, overwrite: true);
        File.Delete(_validatorFile);
        Console.WriteLine($"saved {output}");
        return 0;
    }

    private async Task DownloadSequentiallyAsync(Representation head, ProgressLine progress, CancellationToken cancel)
    {
        await using var file = new FileStream(_part, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None);
        await retry.RunAsync("download", async token =>
        {
            var have = file.Length;
            if (head.Length is { } total && have == total)
            {
                return true;
            }
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (have > 0 && head.Validator is { } validator)
            {
                request.Headers.Range = new RangeHeaderValue(have, null);
                request.Headers.TryAddWithoutValidation("If-Range", validator);
            }
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
            if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From == have)
            {
                Console.WriteLine($"resumed at byte {have}");
            }
            else if (response.StatusCode == HttpStatusCode.OK)
            {
                // The whole representation: what was kept (if anything) was of another version, or not resumable.
                file.SetLength(0);
                have = 0;
            }
            else
            {
                throw new DownloadException($"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            file.Position = have;
            progress.Report(have);
            await using var body = await response.Content.ReadAsStreamAsync(token);
            await CopyAsync(body, file, have, progress, token);
            if (head.Length is { } expected && file.Length != expected)
            {
                throw new IOException($"the body ended at {file.Length} of {expected} bytes");
            }
            return true;
        }, cancel);
    }

    private async Task DownloadInRangesAsync(Representation head, ProgressLine progress, CancellationToken cancel)
    {
        var length = head.Length!.Value;
        using var file = File.OpenHandle(_part, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.Asynchronous, length);
        var size = Math.Max(1, (length + parallel - 1) / parallel);
        var pieces = new List<Task>();
        for (long start = 0; start < length; start += size)
        {
            var piece = new Piece(start, Math.Min(length, start + size) - 1);
            pieces.Add(retry.RunAsync($"range {piece.From}-{piece.To}", token => DownloadPieceAsync(file, head.Validator!, piece, progress, token), cancel));
        }
        await Task.WhenAll(pieces);
    }

    /// <summary>One range of a parallel download; it keeps how far it got, so a retry asks only for the rest.</summary>
    private sealed class Piece(long from, long to)
    {
        public long From { get; } = from;
        public long To { get; } = to;
        public long Position { get; set; } = from;
    }

    private async Task<bool> DownloadPieceAsync(Microsoft.Win32.SafeHandles.SafeFileHandle file, string validator, Piece piece, ProgressLine progress, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new RangeHeaderValue(piece.Position, piece.To);
        request.Headers.TryAddWithoutValidation("If-Range", validator);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
        if (response.StatusCode != HttpStatusCode.PartialContent || response.Content.Headers.ContentRange?.From != piece.Position)
        {
            throw new DownloadException($"range {piece.Position}-{piece.To}: {url} answered {(int)response.StatusCode} (the file changed on the server, or it serves no ranges): start again");
        }
        await using var body = await response.Content.ReadAsStreamAsync(cancel);
        var buffer = new byte[256 * 1024];
        int read;
        while (piece.Position <= piece.To && (read = await body.ReadAsync(buffer, cancel)) > 0)
        {
            await RandomAccess.WriteAsync(file, buffer.AsMemory(0, read), piece.Position, cancel);
            piece.Position += read;
            progress.Add(read);
        }
        if (piece.Position <= piece.To)
        {
            throw new IOException($"range {piece.From}-{piece.To}: the body ended at byte {piece.Position}");
        }
        return true;
    }

    private static async Task CopyAsync(Stream body, FileStream file, long have, ProgressLine progress, CancellationToken cancel)
    {
        var buffer = new byte[256 * 1024];
        int read;
        while ((read = await body.ReadAsync(buffer, cancel)) > 0)
        {
            await file.WriteAsync(buffer.AsMemory(0, read), cancel);
            have += read;
            progress.Report(have);
        }
        await file.FlushAsync(cancel);
    }

    private async Task VerifyAsync(Representation head, CancellationToken cancel)
    {
        var offered = await retry.RunAsync("digest", token => Digest.OfferedAsync(http, url, head.Validator, token), cancel);
        if (offered is null)
        {
            Console.WriteLine("the server offers no SHA-256 (neither Repr-Digest nor a .sha256 sibling): not verified");
            return;
        }
        await using var file = File.OpenRead(_part);
        var actual = await SHA256.HashDataAsync(file, cancel);
        if (!actual.AsSpan().SequenceEqual(offered.Value.Sha256))
        {
            File.Delete(_part);
            File.Delete(_validatorFile);
            throw new DownloadException($"SHA-256 mismatch: the server says {Convert.ToHexStringLower(offered.Value.Sha256)} ({offered.Value.Source}), the file is {Convert.ToHexStringLower(actual)}");
        }
        Console.WriteLine($"verified sha-256 {Convert.ToHexStringLower(actual)} ({offered.Value.Source})");
    }
}
