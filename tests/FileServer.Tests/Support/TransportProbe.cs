using FileServer.Transport;

namespace FileServer.Tests.Support;

/// <summary>Checks shared by the tests of every transport's write/drain contract.</summary>
internal static class TransportProbe
{
    /// <summary>
    /// Writes 64 KiB chunks to a transport whose peer has gone, draining after each, until a drain throws (at most
    /// 1000 chunks). Every Write must return normally: the send error may only surface from DrainAsync.
    /// </summary>
    public static async Task<IOException?> WriteUntilDrainFailsAsync(ITransport transport, TimeSpan bound)
    {
        var chunk = new byte[64 * 1024];
        for (var i = 0; i < 1000; i++)
        {
            Assert.DoesNotThrow(() => transport.Write(chunk));
            try
            {
                await transport.DrainAsync().AsTask().WaitAsync(bound);
            }
            catch (IOException e)
            {
                return e;
            }
        }
        return null;
    }
}
