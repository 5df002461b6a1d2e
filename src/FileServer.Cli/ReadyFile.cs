namespace FileServer.Cli;

/// <summary>
/// The <c>--ready-file</c>: the server's URLs, one per line, written once it listens and removed when it stops, so
/// that a script waiting for the file never reads a URL left behind by an earlier run.
/// </summary>
internal sealed class ReadyFile
{
    private readonly string _path;
    private string? _written;

    /// <summary>Creates the ready file handle for <paramref name="path"/>; nothing is written yet.</summary>
    public ReadyFile(string path)
    {
        _path = path;
    }

    /// <summary>Writes <paramref name="urls"/> atomically: a script polling for the file never reads it half-written.</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be written.</exception>
    public async Task WriteAsync(IEnumerable<string> urls)
    {
        var content = string.Concat(urls.Select(u => u + "\n"));
        var temporary = _path + ".tmp" + Environment.ProcessId;
        await File.WriteAllTextAsync(temporary, content).ConfigureAwait(false);
        File.Move(temporary, _path, overwrite: true);
        _written = content;
    }

    /// <summary>
    /// Removes the file if it still holds what <see cref="WriteAsync"/> wrote: a server started since with the same
    /// ready file keeps its own. Returns a one-line reason when the file could not be read or removed, else null.
    /// </summary>
    public string? RemoveIfOurs()
    {
        if (_written is null)
        {
            return null;
        }
        try
        {
            if (File.Exists(_path) && File.ReadAllText(_path) == _written)
            {
                File.Delete(_path);
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }
}
