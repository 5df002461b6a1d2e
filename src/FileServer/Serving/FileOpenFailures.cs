using FileServer.Http;
using Microsoft.Extensions.Logging;

namespace FileServer.Serving;

/// <summary>
/// The answer when the server itself cannot open or look up what a client asked for: not a missing file and not the
/// client's fault. Out of descriptors is a passing overload, 503 with <c>Retry-After</c> (RFC 9110 §15.6.4) logged at
/// most once a second; anything else (EIO) is a 500 logged as an error.
/// </summary>
internal sealed class FileOpenFailures
{
    // Linux errno values, which .NET and the platform layer carry as an IOException's HResult.
    private const int Enfile = 23;
    private const int Emfile = 24;

    private readonly ResponseWriter _responses;
    private readonly ILogger _log;
    private readonly LogThrottle _outOfDescriptorsLog;

    /// <summary>Answers through <paramref name="responses"/> and logs to <paramref name="log"/>, throttled on <paramref name="clock"/>.</summary>
    public FileOpenFailures(ResponseWriter responses, TimeProvider clock, ILogger log)
    {
        _responses = responses;
        _log = log;
        _outOfDescriptorsLog = new LogThrottle(clock, TimeSpan.FromSeconds(1));
    }

    /// <summary>Answers a directory that could not be read: 403 when it may not be, else as <see cref="Answer(in Exchange, string, IOException)"/>.</summary>
    public ResponseSummary AnswerUnreadable(in Exchange exchange, string path, Exception error) => error switch
    {
        UnauthorizedAccessException => _responses.Error(exchange, HttpStatus.Forbidden, "Permission denied"),
        IOException io => Answer(exchange, path, io),
        _ => throw new ArgumentException("not a read failure", nameof(error), error),
    };

    /// <summary>Logs <paramref name="error"/>, met opening <paramref name="path"/>, and answers the exchange.</summary>
    public ResponseSummary Answer(in Exchange exchange, string path, IOException error)
    {
        if (error.HResult is Enfile or Emfile)
        {
            if (_outOfDescriptorsLog.TryPass(out var suppressed))
            {
                ServingLog.OutOfDescriptors(_log, path, suppressed);
            }
            return _responses.Error(exchange, HttpStatus.ServiceUnavailable, "Out of file descriptors, try again", static h => h.Add("Retry-After", "1"));
        }
        ServingLog.FileOpenFailed(_log, path, error.HResult, error.Message);
        return _responses.Error(exchange, HttpStatus.InternalServerError, "The file could not be opened");
    }
}
