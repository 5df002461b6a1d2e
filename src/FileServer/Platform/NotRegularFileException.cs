namespace FileServer.Platform;

/// <summary>A path that was to be served turned out to be a directory, FIFO, device or socket.</summary>
internal sealed class NotRegularFileException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public NotRegularFileException(string path) : base($"{path} is not a regular file")
    {
    }
}
