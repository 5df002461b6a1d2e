namespace FileServer.Serving;

/// <summary>
/// The file ended before the promised Content-Length was sent (it shrank or was replaced while being served).
/// The connection must be aborted: padding or a short body on a kept-alive connection would corrupt the client's copy.
/// </summary>
internal sealed class FileTruncatedException : IOException
{
    /// <summary>Creates the exception for a file that gave out after <paramref name="sent"/> of <paramref name="expected"/> bytes.</summary>
    public FileTruncatedException(long sent, long expected)
        : base($"file ended after {sent} of {expected} bytes")
    {
        Sent = sent;
        Expected = expected;
    }

    /// <summary>Body bytes sent before the file ran out.</summary>
    public long Sent { get; }

    /// <summary>Body bytes promised.</summary>
    public long Expected { get; }
}
