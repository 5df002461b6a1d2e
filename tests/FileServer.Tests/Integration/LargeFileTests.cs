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

    [TestCase(false, false, "sendfile")]
    [TestCase(true, false, "copy")]
    [TestCase(false, true, "copy")]
    public async Task FiveGiBSparseFile_ArrivesByteIdentical(bool disableSendFile, bool tls, string expectedPath)
    {
        await using var server = TestServer.Start(_tree.Root, tls, o => o with { DisableSendFile = disableSendFile });
        using var connection = server.Connect();
        var response = connection.Get("/big.bin");
        // A connection logs a response before it reads the next request: this answer proves the first is logged.
        connection.Get("/missing");
        Assert.Multiple(() =>
        {
            Assert.That(response.Header("Content-Length"), Is.EqualTo(Size.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(response.BodyLength, Is.EqualTo(Size));
            Assert.That(response.BodySha256, Is.EqualTo(_sha256));
            Assert.That(server.Logs.Access.First().Values["BodyPath"], Is.EqualTo(expectedPath));
        });
    }

    [Test]
    public async Task FiveGiBSparseFile_OverHttpsWithHttpClient_ArrivesByteIdentical()
    {
        await using var server = TestServer.Start(_tree.Root, tls: true);
        using var client = server.CreateHttpClient();
        client.Timeout = TimeSpan.FromMinutes(10);
        using var response = await client.GetAsync("/big.bin", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }
        Assert.Multiple(() =>
        {
            Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(Size));
            Assert.That(total, Is.EqualTo(Size));
            Assert.That(Convert.ToHexStringLower(hash.GetHashAndReset()), Is.EqualTo(_sha256));
        });
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    public async Task RangesPast4GiB_ReturnTheRightBytes(bool disableSendFile, bool tls)
    {
        await using var server = TestServer.Start(_tree.Root, tls, o => o with { DisableSendFile = disableSendFile });
        using var connection = server.Connect();
        var path = _tree.PathOf("big.bin");
        using var file = File.OpenHandle(path);
        foreach (var (first, last) in new[] { ((4L << 30) + 4000, (4L << 30) + 70_000), (Size - 5000, Size - 1), ((2L << 30) - 10, (2L << 30) + 10) })
        {
            var response = connection.Get("/big.bin", $"Range: bytes={first}-{last}\r\n");
            var expected = new byte[last - first + 1];
            RandomAccess.Read(file, expected, first);
            Assert.That(response.Header("Content-Range"), Is.EqualTo($"bytes {first}-{last}/{Size}"));
            Assert.That(response.Body, Is.EqualTo(expected));
            Assert.That(expected, Has.Some.Not.Zero, "the range covers marker bytes, not only the hole");
        }
        var suffix = connection.Get("/big.bin", "Range: bytes=-1048576\r\n");
        var tail = new byte[1048576];
        RandomAccess.Read(file, tail, Size - tail.Length);
        Assert.That(suffix.Body, Is.EqualTo(tail));
    }

    private static string HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
