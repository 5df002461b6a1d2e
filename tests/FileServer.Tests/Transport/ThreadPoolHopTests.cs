using FileServer.Transport;

namespace FileServer.Tests.Transport;

/// <summary>
/// The hop off a socket engine thread: from a thread that is not the pool's (as the engine's are) the code after
/// the await runs on a pool thread; on a pool thread it runs on at once, on the same thread.
/// </summary>
public sealed class ThreadPoolHopTests
{
    [Test]
    public async Task FromAThreadOutsideThePool_TheRestRunsOnAPoolThread()
    {
        var outcome = new TaskCompletionSource<(bool BeforeOnPool, bool Completed, bool AfterOnPool, bool SameThread)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() => _ = HopAndReport(outcome)) { IsBackground = true, Name = "not the pool" };
        thread.Start();

        var (beforeOnPool, completed, afterOnPool, sameThread) = await outcome.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That(beforeOnPool, Is.False, "the test starts outside the pool");
            Assert.That(completed, Is.False, "outside the pool the hop waits");
            Assert.That(afterOnPool, Is.True);
            Assert.That(sameThread, Is.False);
        });
    }

    [Test]
    public async Task OnAPoolThread_TheRestRunsAtOnceOnTheSameThread()
    {
        var outcome = new TaskCompletionSource<(bool BeforeOnPool, bool Completed, bool AfterOnPool, bool SameThread)>(TaskCreationOptions.RunContinuationsAsynchronously);
        ThreadPool.UnsafeQueueUserWorkItem(static o => _ = HopAndReport(o), outcome, preferLocal: false);

        var (beforeOnPool, completed, afterOnPool, sameThread) = await outcome.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That(beforeOnPool, Is.True);
            Assert.That(completed, Is.True, "no hop on the pool");
            Assert.That(afterOnPool, Is.True);
            Assert.That(sameThread, Is.True);
        });
    }

    private static async Task HopAndReport(TaskCompletionSource<(bool, bool, bool, bool)> outcome)
    {
        var before = Thread.CurrentThread;
        var beforeOnPool = before.IsThreadPoolThread;
        var hop = ThreadPoolHop.OffEngineThread();
        var completed = hop.IsCompleted;
        await hop;
        outcome.SetResult((beforeOnPool, completed, Thread.CurrentThread.IsThreadPoolThread, ReferenceEquals(before, Thread.CurrentThread)));
    }
}
