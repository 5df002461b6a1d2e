using FileServer.Serving;

namespace FileServer.Tests.Serving;

public class RatePacerTests
{
    [TestCase(0L, 0.0, 0.0)]
    [TestCase(1_048_576L, 0.0, 1.0)]
    [TestCase(1_048_576L, 0.25, 0.75)]
    [TestCase(1_048_576L, 1.0, 0.0)]
    [TestCase(1_048_576L, 3.0, 0.0)]
    [TestCase(10_485_760L, 2.0, 8.0)]
    public void DelayBefore_KeepsTheAverageAtTheRate(long sentSoFar, double elapsedSeconds, double expectedSeconds)
    {
        var delay = RatePacer.DelayBefore(sentSoFar, TimeSpan.FromSeconds(elapsedSeconds), 1_048_576);
        Assert.That(delay.TotalSeconds, Is.EqualTo(expectedSeconds).Within(1e-9));
    }

    [TestCase(1_048_576L, 2_097_152L, 131_072L)]
    [TestCase(1_000L, 2_097_152L, 4096L)]
    [TestCase(1_073_741_824L, 2_097_152L, 2_097_152L)]
    public void SliceSize_IsAnEighthOfASecond_Bounded(long rate, long preferred, long expected)
    {
        Assert.That(new RatePacer(rate, TimeProvider.System).SliceSize(preferred), Is.EqualTo(expected));
    }
}
