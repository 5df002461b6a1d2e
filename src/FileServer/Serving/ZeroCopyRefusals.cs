using System.Collections.Concurrent;
using FileServer.Platform;
using FileServer.Transport;
using Microsoft.Extensions.Logging;

namespace FileServer.Serving;

/// <summary>
/// What zero-copy could not do here, so later bodies go straight to the copy loop instead of failing the same way:
/// a platform that cannot give a send-file descriptor at all, and file systems whose files the kernel will not
/// <c>sendfile</c> (remembered by device). Each cause is logged once, as a warning: a body that falls back is still
/// served whole, but slower than it could be, and the operator may want to know why.
/// </summary>
internal sealed class ZeroCopyRefusals
{
    // Enough for every cause a machine can produce; past it a new cause still falls back, it just is not logged.
    private const int MaxLoggedCauses = 256;

    private readonly ILogger _log;
    private readonly ConcurrentDictionary<ulong, byte> _refusingDevices = new();
    private readonly ConcurrentDictionary<string, byte> _logged = new(StringComparer.Ordinal);
    private volatile bool _platformRefuses;

    /// <summary>Creates the record; refusals are logged to <paramref name="log"/>.</summary>
    public ZeroCopyRefusals(ILogger log)
    {
        _log = log;
    }

    /// <summary>Whether a body from <paramref name="file"/> is known to be refused zero-copy here.</summary>
    public bool IsRefused(OpenedFile file) =>
        _platformRefuses || (!_refusingDevices.IsEmpty && file.Status.Identity.IsKnown && _refusingDevices.ContainsKey(file.Status.Identity.Device));

    /// <summary>
    /// The send-file descriptor of <paramref name="file"/>, or null where none can be had (the failure recorded):
    /// asked before the response head leaves, so such a body is copied from its first byte.
    /// </summary>
    public FileStream? TryOpen(OpenedFile file)
    {
        try
        {
            return file.ZeroCopyStream;
        }
        catch (PlatformNotSupportedException e)
        {
            _platformRefuses = true;
            Log(file, "open: " + e.Message, remembered: "for every file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // EMFILE and the like: a moment's shortage, not a property of the file; the next body tries again.
            Log(file, $"open: {e.Message} (errno {e.HResult})", remembered: null);
        }
        return null;
    }

    /// <summary>Records that the kernel refused to send <paramref name="file"/> with sendfile.</summary>
    public void Refused(OpenedFile file, SendFileRefusedException refusal)
    {
        string? remembered = null;
        if (refusal.IsFileSystemProperty && file.Status.Identity.IsKnown)
        {
            _refusingDevices.TryAdd(file.Status.Identity.Device, 0);
            remembered = $"for every file on device {file.Status.Identity.Device}";
        }
        Log(file, "sendfile: " + refusal.Error, remembered);
    }

    private void Log(OpenedFile file, string cause, string? remembered)
    {
        if (_logged.Count < MaxLoggedCauses && _logged.TryAdd(cause, 0))
        {
            ServingLog.ZeroCopyRefused(_log, file.Path, cause, remembered ?? "not remembered: tried again for the next body");
        }
    }
}
