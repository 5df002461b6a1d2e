namespace FileServer.Serving;

/// <summary>
/// Reading the served file failed on this machine (a disk error such as <c>EIO</c>), after the response head may have
/// left: the connection must be aborted, and the failure reported as the server's, never as a client leaving.
/// Deliberately not an <see cref="IOException"/>, which the connection takes for a peer that went away.
/// </summary>
internal sealed class FileReadException : Exception
{
    /// <summary>Creates the exception for <paramref name="path"/>, from the read's own failure.</summary>
    public FileReadException(string path, IOException cause)
        : base($"reading {path} failed: {cause.Message}", cause)
    {
        Path = path;
        Errno = cause.HResult;
    }

    /// <summary>The file being read.</summary>
    public string Path { get; }

    /// <summary>The operating system's error number (<c>errno</c> on Linux: 5 is EIO), as .NET reports it.</summary>
    public int Errno { get; }
}
