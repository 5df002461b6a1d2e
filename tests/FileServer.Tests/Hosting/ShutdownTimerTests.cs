using FileServer.Hosting;
using FileServer.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileServer.Tests.Hosting;

/// <summary>A stopped server leaves no timer of its clock behind, however long its grace period.</summary>
public class ShutdownTimerTests
{
    [Test]
    public async Task QuickStop_WithAnHoursGrace_LeavesNoTimerRunning()
    {
        using var tree = new TempTree();
        tree.WriteText("small.txt", "small");
        var clock = new CountingTimeProvider();
        var options = new FileServerOptions { Root = tree.Root, Port = 0, ShutdownTimeout = TimeSpan.FromHours(1) };
        var host = new FileServerHost(options, NullLoggerFactory.Instance, null, clock);
        host.Start();
        try
        {
            using var client = new HttpClient { BaseAddress = host.Url };
            Assert.That(await client.GetStringAsync("/small.txt"), Is.EqualTo("small"));
        }
        finally
        {
            await host.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.That(clock.LiveTimers, Is.Zero, "the grace period's timer and the open-file cache's sweeper are gone");
    }
}
