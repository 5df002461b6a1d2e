using FileServer.Hosting;
using FileServer.Tests.Support;
using Microsoft.Extensions.Logging;

namespace FileServer.Tests.Hosting;

/// <summary>
/// An idle server sets no timer to wake it: the send watchdog, the memory trim and the open-file cache's sweep run
/// only while there is something for them to look at.
/// </summary>
public sealed class IdleTimersTests
{
    [Test]
    public async Task IdleServer_ArmsNoTimer_AConnectionArmsThem_TheyStopOnceItIsGoneAndTrimmed()
    {
        using var tree = new TempTree();
        tree.WriteText("small.txt", "small");
        var clock = new CountingTimeProvider();
        var logs = new CapturingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        var options = new FileServerOptions
        {
            Root = tree.Root,
            Port = 0,
            IdleTrimAfter = TimeSpan.FromMilliseconds(200),
            OpenFileCacheInactiveTime = TimeSpan.FromMilliseconds(200),
        };
        await using var host = new FileServerHost(options, loggerFactory, null, clock);
        host.Start();
        Assert.That(clock.ArmedTimers, Is.Zero, "started, nothing served: no timer set to fire");

        using (var client = new HttpClient { BaseAddress = host.Url })
        {
            Assert.That(await client.GetStringAsync("/small.txt"), Is.EqualTo("small"));
            Assert.That(clock.ArmedTimers, Is.GreaterThanOrEqualTo(3), "a connection open and a file cached: watchdog, trim and sweep run");
        }

        // The client gone: the watchdog stops at its next tick, the sweep once the file has aged out of the cache, the
        // trim once it has given the burst's memory back.
        Assert.That(() => clock.ArmedTimers, Is.Zero.After(15_000, 20), "idle again: no timer set to fire");
        Assert.That(logs.Logs.Count(l => l.EventId.Id == 38), Is.EqualTo(1), "the quiet spell after the connection was trimmed, once");
    }
}
