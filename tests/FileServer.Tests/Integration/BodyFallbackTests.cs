using System.Security.Cryptography;
using FileServer.Platform;
using FileServer.Tests.Support;
using Microsoft.Extensions.Logging;

namespace FileServer.Tests.Integration;

/// <summary>
/// Where zero-copy cannot run — the send-file descriptor cannot be opened, or the kernel refuses the first sendfile —
/// the same body goes through the copy loop, byte for byte, logged <c>body=copy</c> with the reason once; and a file
/// that cannot be read is the server's failure, logged at Error, never a client leaving.
/// </summary>
public class BodyFallbackTests
{
    private const int ZeroCopyRefusedEvent = 24;
    private const int FileReadFailedEvent = 23;
    private const int PeerGoneEvent = 10;
    private const int Size = 3 * 1024 * 1024 + 17;

    private TempTree _tree = null!;
    private byte[] _bytes = null!;

    [SetUp]
    public void WriteFile()
    {
        _tree = new TempTree();
        _bytes = new byte[Size];
        new Random(7).NextBytes(_bytes);
        _tree.WriteBytes("big.bin", _bytes);
    }

    [TearDown]
    public void RemoveFile() => _tree.Dispose();

    private static IEnumerable<TestCaseData> Refusals()
    {
        yield return new TestCaseData(new ReopeningPlatform(zeroCopyStream: _ => throw new PlatformNotSupportedException("no /proc/self/fd")))
            .SetArgDisplayNames("send-file descriptor cannot be opened");
        yield return new TestCaseData(new ReopeningPlatform(zeroCopyStream: ReopeningPlatform.RefusedBySendFile))
            .SetArgDisplayNames("first sendfile refused");
    }

    [TestCaseSource(nameof(Refusals))]
    // The platform comes as object: a public test method cannot take the engine's internal interface.
    public async Task RefusedZeroCopy_SendsTheSameBytesThroughTheCopyLoop_AndSaysWhyOnce(object platform)
    {
        await using var server = TestServer.Start(_tree.Root, tls: false, configure: null, (IPlatform)platform);
        using (var connection = server.Connect())
        {
            var whole = connection.Get("/big.bin");
            var again = connection.Get("/big.bin");
            var range = connection.Get("/big.bin", "Range: bytes=100000-2099999\r\n");
            var parts = connection.Get("/big.bin", "Range: bytes=0-99999,3000000-\r\n");
            Assert.Multiple(() =>
            {
                Assert.That((whole.Status, whole.BodySha256), Is.EqualTo((200, Sha256(_bytes))));
                Assert.That((again.Status, again.BodySha256), Is.EqualTo((200, Sha256(_bytes))));
                Assert.That((range.Status, range.BodySha256), Is.EqualTo((206, Sha256(_bytes.AsSpan(100_000, 2_000_000)))));
                Assert.That(parts.Status, Is.EqualTo(206));
                Assert.That(parts.Header("Content-Type"), Does.StartWith("multipart/byteranges"));
            });
            connection.Get("/missing"); // its answer proves the responses before it are logged
        }

        var bodies = server.Logs.Access.Where(l => (string)l.Values["Target"]! == "/big.bin").ToList();
        Assert.That(bodies, Has.Count.EqualTo(4));
        Assert.That(bodies.Select(l => l.Values["BodyPath"]), Is.All.EqualTo("copy"), "every body was copied");
        var reasons = server.Logs.Logs.Where(l => l.EventId.Id == ZeroCopyRefusedEvent).ToList();
        Assert.That(reasons, Has.Count.EqualTo(1), "the reason is logged once, not per response");
        Assert.That(reasons[0].Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(reasons[0].Values["Path"], Does.EndWith("big.bin"));
    }

    [Test]
    public async Task ADiskError_IsLoggedAtError_WithPathAndErrno_AndTheResponseIsNeverCompleted()
    {
        await using var server = TestServer.Start(_tree.Root, tls: false, o => o with { DisableSendFile = true },
            new ReopeningPlatform(readHandle: ReopeningPlatform.FailingReads));
        using var connection = server.Connect();

        Assert.Throws<EndOfStreamException>(() => connection.Get("/big.bin"), "the promised length is never padded or faked");
        var failure = await server.Logs.WaitForEventAsync(FileReadFailedEvent).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(failure.Level, Is.EqualTo(LogLevel.Error));
        Assert.That(failure.Values["Path"], Does.EndWith("big.bin"));
        Assert.That(failure.Values["Errno"], Is.EqualTo(5), "EIO");
        Assert.That(server.Logs.Logs.Where(l => l.EventId.Id == PeerGoneEvent), Is.Empty, "the client did not leave");
    }

    private static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
