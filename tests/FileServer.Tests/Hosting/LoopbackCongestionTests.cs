using System.Net;
using System.Net.Sockets;
using System.Text;
using FileServer.Hosting;
using FileServer.Platform;
using FileServer.Tests.Support;

namespace FileServer.Tests.Hosting;

/// <summary>Which congestion control clients on this machine get, read back from real loopback sockets.</summary>
public class LoopbackCongestionTests
{
    private const int IpProtoTcp = 6;
    private const int TcpCongestion = 13;

    private readonly IPlatform _platform = PlatformDetector.Detect();

    [TestCase("127.0.0.1", "127.0.0.1", true)]
    [TestCase("127.3.2.1", "127.0.0.1", true)]
    [TestCase("::1", "::1", true)]
    [TestCase("::ffff:127.0.0.1", "::ffff:127.0.0.1", true)]
    [TestCase("10.1.2.3", "10.1.2.3", true)]
    [TestCase("::ffff:10.1.2.3", "10.1.2.3", true)]
    [TestCase("10.1.2.3", "10.1.2.4", false)]
    [TestCase("::ffff:10.1.2.3", "::ffff:10.9.9.9", false)]
    [TestCase("192.168.1.7", "127.0.0.1", false)]
    [TestCase("2001:db8::7", "2001:db8::1", false)]
    public void SameMachine_IsALoopbackClient_OrOneAtTheServersOwnAddress(string client, string server, bool expected) =>
        Assert.That(LoopbackCongestion.IsSameMachine(IPAddress.Parse(client), IPAddress.Parse(server)), Is.EqualTo(expected));

    [TestCase("bbr")]
    [TestCase("cubic")]
    [TestCase(null)]
    public void System_LeavesEveryConnectionAlone(string? systemDefault) =>
        Assert.That(LoopbackCongestion.Resolve(LoopbackCongestion.System, systemDefault, _platform), Is.Null);

    [TestCase("cubic")]
    [TestCase("reno")]
    [TestCase("htcp")]
    [TestCase(null)]
    public void Auto_LeavesAnyDefaultButBbrAlone(string? systemDefault) =>
        Assert.That(LoopbackCongestion.Resolve(LoopbackCongestion.Auto, systemDefault, _platform), Is.Null);

    [TestCase("bbr")]
    [TestCase("bbr3")]
    public void Auto_UnderBbr_PicksCubicOrReno(string systemDefault)
    {
        AssumeLinux();
        var chosen = LoopbackCongestion.Resolve(LoopbackCongestion.Auto, systemDefault, _platform);
        Assert.That(chosen?.Algorithm, Is.AnyOf("cubic", "reno"), "reno is allowed to every process, so one of the two is always usable");
    }

    [Test]
    public void UnknownName_StopsStart()
    {
        var error = Assert.Throws<StartupException>(() => LoopbackCongestion.Resolve("nosuchcc", "bbr", _platform));
        Assert.That(error!.Message, Does.Contain("'nosuchcc' is not available"));
    }

    [Test]
    public async Task Apply_GivesALoopbackConnectionTheAlgorithm_AsTheKernelReportsIt()
    {
        AssumeLinux();
        var reno = LoopbackCongestion.Resolve("reno", "bbr", _platform)!;
        using var pair = await SocketPair.CreateAsync();
        // Start from anything but reno, so that reading reno back shows the change.
        if (CongestionOf(pair.Server) == "reno")
        {
            Assume.That(_platform.TrySetCongestionControl(pair.Server, "cubic"), Is.True, "only reno is available here, so no change could be seen");
        }
        Assert.That(CongestionOf(pair.Server), Is.Not.EqualTo("reno"));

        var choice = reno.Apply(pair.Server);

        Assert.That(choice, Is.EqualTo(CongestionChoice.Given));
        Assert.That(CongestionOf(pair.Server), Is.EqualTo("reno"));
    }

    [Test]
    public async Task Apply_ToAClosedConnection_LeavesIt()
    {
        AssumeLinux();
        var reno = LoopbackCongestion.Resolve("reno", "bbr", _platform)!;
        var pair = await SocketPair.CreateAsync();
        pair.Dispose();

        Assert.That(reno.Apply(pair.Server), Is.EqualTo(CongestionChoice.Elsewhere));
    }

    private void AssumeLinux() => Assume.That(_platform.Name, Is.EqualTo("posix"), "TCP_CONGESTION is Linux's");

    private static string CongestionOf(Socket socket)
    {
        Span<byte> name = stackalloc byte[16];
        var length = socket.GetRawSocketOption(IpProtoTcp, TcpCongestion, name);
        return Encoding.ASCII.GetString(name[..length]).TrimEnd('\0');
    }
}
