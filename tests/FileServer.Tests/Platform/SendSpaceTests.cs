using System.Net.Sockets;
using FileServer.Platform;
using FileServer.Tests.Support;

namespace FileServer.Tests.Platform;

/// <summary>The kernel's free send space as the platform reports it, on real loopback sockets.</summary>
public class SendSpaceTests
{
    private readonly IPlatform _platform = PlatformDetector.Detect();

    [Test]
    public async Task EmptySendBuffer_ReportsHalfItsSize()
    {
        Assume.That(_platform.Name, Is.EqualTo("posix"), "SIOCOUTQ is Linux's");
        using var pair = await SocketPair.CreateAsync(bufferBytes: 64 * 1024);

        var space = _platform.GetSendSpace(pair.Server);

        Assert.That(space, Is.EqualTo(pair.Server.SendBufferSize / 2), "nothing is queued yet: all of the (doubled) buffer's data half");
    }

    [Test]
    public async Task FullSendBuffer_ReportsNoSpace_AndSpaceReturnsOnceThePeerReads()
    {
        Assume.That(_platform.Name, Is.EqualTo("posix"), "SIOCOUTQ is Linux's");
        using var pair = await SocketPair.CreateAsync(bufferBytes: 16 * 1024);
        pair.Server.Blocking = false;
        var chunk = new byte[4096];
        var sent = 0;
        // The peer reads nothing: non-blocking sends stop when its window and our send buffer are both full.
        while (pair.Server.Send(chunk, SocketFlags.None, out var error) is var n && error == SocketError.Success)
        {
            sent += n;
        }

        var whenFull = _platform.GetSendSpace(pair.Server);
        Assert.That(whenFull, Is.LessThan(chunk.Length), $"the kernel refused more after {sent} bytes, so it has no room for a chunk");

        await pair.ReadClientAsync(sent).WaitAsync(TimeSpan.FromSeconds(30));
        var afterRead = _platform.GetSendSpace(pair.Server);
        Assert.That(afterRead, Is.EqualTo(pair.Server.SendBufferSize / 2), "everything was acknowledged");
    }

    [Test]
    public async Task ClosedSocket_ReportsUnknown()
    {
        var pair = await SocketPair.CreateAsync();
        pair.Dispose();

        Assert.That(_platform.GetSendSpace(pair.Server), Is.Null);
    }
}
