using System.Net.Sockets;
using FileServer.Platform;
using FileServer.Tests.Support;
using FileServer.Transport;

namespace FileServer.Tests.Transport;

/// <summary>
/// The close that ends a <c>Connection: close</c> response sends its FIN with <c>close(2)</c> alone, and the send
/// timeout's watchdog asks the same socket for TCP_INFO from its own thread. .NET turns a close that meets such a call
/// in flight into a reset (<c>SafeSocketHandle.TryUnblockSocket</c>) unless the send side was shut down first, and a
/// reset drops what the kernel had not sent yet: the close must wait for the probe instead.
/// </summary>
public sealed class CloseWhileProbedTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly TransportOptions Options = new(HighWatermark: 64 * 1024, LowWatermark: 16 * 1024, SendFileChunk: 1024 * 1024);
    private readonly IPlatform _platform = PlatformDetector.Detect();

    [Test]
    public async Task LastResponse_ArrivesWholeWithAFin_WhileAnotherThreadProbesTheSocketWithoutPause()
    {
        // Each round closes while the prober is inside getsockopt most of the time; one reset is enough to fail.
        for (var round = 0; round < 20; round++)
        {
            using var pair = await SocketPair.CreateAsync();
            await using var transport = new SocketTransport(pair.Server, _platform, Options);
            var data = new byte[512 * 1024];
            new Random(round).NextBytes(data);
            var closed = 0;
            var prober = Task.Factory.StartNew(() =>
            {
                while (Volatile.Read(ref closed) == 0)
                {
                    GC.KeepAlive(transport.SendProgress);
                }
            }, TaskCreationOptions.LongRunning);
            var reading = pair.ReadClientToEndAsync();

            transport.Write(data);
            await transport.CloseAsync(TimeSpan.FromSeconds(10), peerSendsNoMore: true).AsTask().WaitAsync(Bound);
            Volatile.Write(ref closed, 1);
            await prober.WaitAsync(Bound);

            byte[] received;
            try
            {
                received = await reading.WaitAsync(Bound);
            }
            catch (SocketException e)
            {
                Assert.Fail($"round {round}: the client met {e.SocketErrorCode} instead of the body and a FIN");
                return;
            }
            Assert.That(received, Is.EqualTo(data), $"round {round}");
        }
    }
}
