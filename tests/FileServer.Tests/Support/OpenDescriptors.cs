namespace FileServer.Tests.Support;

/// <summary>What a process's open descriptors point at, read from <c>/proc/PID/fd</c>.</summary>
internal static class OpenDescriptors
{
    /// <summary>
    /// The targets of the open descriptors of process <paramref name="pid"/> (this one by default): a path, or
    /// <c>socket:[INODE]</c>; a descriptor closed between the listing and its read is left out.
    /// </summary>
    public static IEnumerable<string> Targets(string pid = "self") =>
        Directory.GetFiles($"/proc/{pid}/fd").Select(Target).OfType<string>();

    private static string? Target(string link)
    {
        try
        {
            return new FileInfo(link).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
