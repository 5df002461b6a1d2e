using FileServer.Hosting;
using FileServer.Tests.Support;
using FileServer.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileServer.Tests.Hosting;

public class OptionsValidationTests
{
    private static IEnumerable<TestCaseData> InvalidOptions()
    {
        yield return new TestCaseData((Func<FileServerOptions, FileServerOptions>)(o => o with { Transport = new TransportOptions(16 * 1024, 64 * 1024) }), "low < high").SetName("LowAboveHigh");
        yield return new TestCaseData((Func<FileServerOptions, FileServerOptions>)(o => o with { Transport = new TransportOptions(64 * 1024, 64 * 1024) }), "low < high").SetName("LowEqualsHigh");
        yield return new TestCaseData((Func<FileServerOptions, FileServerOptions>)(o => o with { Transport = new TransportOptions(64 * 1024, 0) }), "low < high").SetName("ZeroLow");
        yield return new TestCaseData((Func<FileServerOptions, FileServerOptions>)(o => o with { CopyChunkSize = 100 }), "chunk size").SetName("TinyChunk");
        yield return new TestCaseData((Func<FileServerOptions, FileServerOptions>)(o => o with { MaxConnections = 0 }), "max connections").SetName("ZeroMaxConnections");
        yield return new TestCaseData((Func<FileServerOptions, FileServerOptions>)(o => o with { LimitRate = -1 }), "limit rate").SetName("NegativeRate");
        yield return new TestCaseData((Func<FileServerOptions, FileServerOptions>)(o => o with { SendTimeout = TimeSpan.Zero }), "send timeout").SetName("ZeroSendTimeout");
        yield return new TestCaseData((Func<FileServerOptions, FileServerOptions>)(o => o with { Port = 70000 }), "port").SetName("PortOutOfRange");
        yield return new TestCaseData((Func<FileServerOptions, FileServerOptions>)(o => o with { TlsPort = 0 }), "a TLS port needs a certificate").SetName("TlsPortWithoutCertificate");
        yield return new TestCaseData((Func<FileServerOptions, FileServerOptions>)(o => o with { LoopbackCongestionControl = "Cubic" }), "not a congestion control name").SetName("CongestionNameUpperCase");
        yield return new TestCaseData((Func<FileServerOptions, FileServerOptions>)(o => o with { LoopbackCongestionControl = "" }), "not a congestion control name").SetName("CongestionNameEmpty");
        yield return new TestCaseData((Func<FileServerOptions, FileServerOptions>)(o => o with { LoopbackCongestionControl = "a_name_too_long_" }), "not a congestion control name").SetName("CongestionNameTooLong");
        yield return new TestCaseData((Func<FileServerOptions, FileServerOptions>)(o => o with { LoopbackCongestionControl = "nosuchcc" }), "'nosuchcc' is not available").SetName("CongestionNameUnknown");
    }

    [TestCaseSource(nameof(InvalidOptions))]
    public async Task InvalidOption_StopsStartWithAOneLineMessage(Func<FileServerOptions, FileServerOptions> change, string mentions)
    {
        using var tree = new TempTree();
        await using var host = new FileServerHost(change(new FileServerOptions { Root = tree.Root, Port = 0 }), NullLoggerFactory.Instance);
        var error = Assert.Throws<StartupException>(host.Start);
        Assert.That(error!.Message, Does.Contain(mentions).And.Not.Contain("\n"));
    }

    [Test]
    public async Task MissingRoot_And_FileAsRoot_AreRefused()
    {
        using var tree = new TempTree();
        tree.WriteText("file.txt", "x");
        await using var missing = new FileServerHost(new FileServerOptions { Root = tree.PathOf("nope"), Port = 0 }, NullLoggerFactory.Instance);
        await using var file = new FileServerHost(new FileServerOptions { Root = tree.PathOf("file.txt"), Port = 0 }, NullLoggerFactory.Instance);
        Assert.That(Assert.Throws<StartupException>(missing.Start)!.Message, Does.Contain("does not exist"));
        Assert.That(Assert.Throws<StartupException>(file.Start)!.Message, Does.Contain("not a directory"));
    }

    [Test]
    public async Task PortInUse_IsRefused()
    {
        using var tree = new TempTree();
        await using var first = TestServer.Start(tree.Root);
        await using var second = new FileServerHost(new FileServerOptions { Root = tree.Root, Port = first.Port }, NullLoggerFactory.Instance);
        Assert.That(Assert.Throws<StartupException>(second.Start)!.Message, Does.Contain("address already in use"));
    }
}
