using FileServer.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace FileServer.Tests.Hosting;

public class StopSignalsTests
{
    [Test]
    public void FirstSignal_StopsGracefully()
    {
        var signals = new StopSignals(new FakeTimeProvider());
        Assert.That(signals.Receive(), Is.EqualTo(StopSignal.First));
    }

    [Test]
    public void SignalDeliveredTwiceAtOnce_IsOneStopRequest()
    {
        // timeout(1) sends the signal to its child, then to its process group: the server gets it twice.
        var clock = new FakeTimeProvider();
        var signals = new StopSignals(clock);
        signals.Receive();
        clock.Advance(TimeSpan.FromMilliseconds(3));
        Assert.That(signals.Receive(), Is.EqualTo(StopSignal.Echo));
        clock.Advance(StopSignals.EchoWindow - TimeSpan.FromMilliseconds(10));
        Assert.That(signals.Receive(), Is.EqualTo(StopSignal.Echo), "still within the window");
    }

    [Test]
    public void LaterSignal_StopsNow_AndSoDoesEveryOneAfterIt()
    {
        var clock = new FakeTimeProvider();
        var signals = new StopSignals(clock);
        signals.Receive();
        clock.Advance(StopSignals.EchoWindow);
        Assert.That(signals.Receive(), Is.EqualTo(StopSignal.Repeat));
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.That(signals.Receive(), Is.EqualTo(StopSignal.Repeat));
    }

    [Test]
    public void ConcurrentSignals_GiveExactlyOneFirst()
    {
        var signals = new StopSignals(new FakeTimeProvider());
        var results = new StopSignal[64];
        Parallel.For(0, results.Length, i => results[i] = signals.Receive());
        Assert.That(results.Count(r => r == StopSignal.First), Is.EqualTo(1));
        Assert.That(results.Where(r => r != StopSignal.First), Is.All.EqualTo(StopSignal.Echo), "no time passed: every other one is an echo");
    }
}
