using System.Security.Cryptography;
using FileServer.Tests.Support;

namespace FileServer.Tests.Integration;

/// <summary>
/// A sparse 5 GiB file with distinct bytes past 2 GiB and 4 GiB, downloaded whole on both body paths: 64-bit
/// lengths and offsets, and the loop around the kernel's per-call sendfile limit.
/// </summary>
[TestFixture]
[NonParallelizable]
public class LargeFileTests
{
    private const long Size = 5L << 30;
    private static readonly long[] MarkerOffsets = [0, (2L << 30) - 7, (4L << 30) + 4093, Size - 1024 * 1024];
    private TempTree _tree = null!;
    private string _sha256 = null!;

    [OneTimeSetUp]
    public void CreateSparseFile()
    {
        _tree = new TempTree();
        var path = _tree.PathOf("big.bin");
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            file.SetLength(Size);
            var random = new Random(42);
            foreach (var offset in MarkerOffsets)
            {
                var marker = new byte[1024 * 1024];
                random.NextBytes(marker);
                RandomAccess.Write(file.SafeFileHandle, marker.AsSpan(0, (int)Math.Min(marker.Length, Size - offset)), offset);
            }
        }
        _sha256 = HashFile(path);
    }

    [OneTimeTearDown]
    public void Remove() => _tree.Dispose();

    [TestCase(false, "sendfile")]
    [TestCase(true, "copy")]
    public async Task FiveGiBSparseFile_ArrivesByteIdentical(bool disableSendFile, string expectedPath)
    {
        await using var server = TestServer.Start(_tree.Root, o => o with { DisableSendFile = disableSendFile });
        using var connection = server.Connect();
        var response = connection.Get("/big.bin");
        Assert.Multiple(() =>
        {
            Assert.That(response.Header("Content-Length"), Is.EqualTo(Size.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(response.BodyLength, Is.EqualTo(Size));
            Assert.That(response.BodySha256, Is.EqualTo(_sha256));
            Assert.That(server.Logs.Access.Single().Values["BodyPath"], Is.EqualTo(expectedPath));
        });
    }

    private static string HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
