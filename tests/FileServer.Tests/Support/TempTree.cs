using System.Security.Cryptography;

namespace FileServer.Tests.Support;

/// <summary>A temporary directory tree of real files, deleted on dispose.</summary>
public sealed class TempTree : IDisposable
{
    public TempTree()
    {
        Root = Directory.CreateTempSubdirectory("fileserver-tests-").FullName;
    }

    public string Root { get; }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>Writes <paramref name="size"/> deterministic pseudo-random bytes; returns their SHA-256.</summary>
    public string WriteRandom(string relative, int size, int seed = 1)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return WriteBytes(relative, bytes);
    }

    public string WriteBytes(string relative, byte[] bytes)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    public string WriteText(string relative, string text) => WriteBytes(relative, System.Text.Encoding.UTF8.GetBytes(text));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A test that failed mid-way may leave a file open; the OS temp cleaner gets the rest.
        }
    }
}
