using System.Net.Sockets;
using System.Text;
using FileServer.Cli;
using FileServer.Platform;
using FileServer.Tests.Support;

namespace FileServer.Tests.Cli;

/// <summary>
/// The command line's server runs .NET's socket engine as an event loop (inline completions, one engine thread per
/// core), and leaves either setting alone when the user made it: the decision over a dictionary, and the real
/// process's engine threads counted in /proc while it answers.
/// </summary>
public sealed class InlineSocketCompletionsTests
{
    private const string EngineThreadName = ".NET Sockets";

    [TestCase(0, 1)]
    [TestCase(1, 1)]
    [TestCase(2, 2)]
    [TestCase(16, 16)]
    public void EngineThreads_AreOnePerCore_AtLeastOne(int processors, int engines) =>
        Assert.That(InlineSocketCompletions.EngineThreads(processors), Is.EqualTo(engines));

    [Test]
    public void NothingSet_TurnsInlineOn_WithOneEnginePerCore()
    {
        var environment = Apply(new Dictionary<string, string>(), processors: 8);

        Assert.That(environment, Is.EquivalentTo(new Dictionary<string, string>
        {
            [InlineSocketCompletions.InlineVariable] = "1",
            [InlineSocketCompletions.EnginesVariable] = "8",
        }));
    }

    [TestCase("0")]
    [TestCase("1")]
    public void SwitchSetByTheUser_IsLeftAsItIs_AndTheEngineCountToo(string value)
    {
        var environment = Apply(new Dictionary<string, string> { [InlineSocketCompletions.InlineVariable] = value }, processors: 8);

        Assert.That(environment, Is.EquivalentTo(new Dictionary<string, string> { [InlineSocketCompletions.InlineVariable] = value }));
    }

    [Test]
    public void EngineCountSetByTheUser_IsKept()
    {
        var environment = Apply(new Dictionary<string, string> { [InlineSocketCompletions.EnginesVariable] = "3" }, processors: 8);

        Assert.That(environment[InlineSocketCompletions.EnginesVariable], Is.EqualTo("3"));
        Assert.That(environment[InlineSocketCompletions.InlineVariable], Is.EqualTo("1"));
    }

    [Test]
    public async Task TheServer_AnswersWithOneEngineThreadPerCore()
    {
        Assume.That(PlatformDetector.Detect().Name, Is.EqualTo("posix"), "thread names are read from /proc");
        using var tree = new TempTree();
        tree.WriteText("root/a.txt", "hello\n");
        // Four cores as .NET sees them: four engine threads, where .NET's default without inline completions is one.
        var environment = new Dictionary<string, string?>(Unset) { ["DOTNET_PROCESSOR_COUNT"] = "4" };
        using var server = CliProcess.StartWithEnvironment(environment, tree.PathOf("root"), "--no-access-log");

        Assert.That(await GetTwiceAsync(server), Is.EqualTo(2), "two answers on one keep-alive connection");
        Assert.That(EngineThreads(server.Id), Is.EqualTo(4));
    }

    [Test]
    public async Task TheServer_TakesTheUsersEngineCount()
    {
        Assume.That(PlatformDetector.Detect().Name, Is.EqualTo("posix"), "thread names are read from /proc");
        using var tree = new TempTree();
        tree.WriteText("root/a.txt", "hello\n");
        var environment = new Dictionary<string, string?>(Unset) { [InlineSocketCompletions.EnginesVariable] = "3" };
        using var server = CliProcess.StartWithEnvironment(environment, tree.PathOf("root"), "--no-access-log");

        Assert.That(await GetTwiceAsync(server), Is.EqualTo(2));
        Assert.That(EngineThreads(server.Id), Is.EqualTo(3));
    }

    private static readonly Dictionary<string, string?> Unset = new()
    {
        [InlineSocketCompletions.InlineVariable] = null,
        [InlineSocketCompletions.EnginesVariable] = null,
    };

    private static Dictionary<string, string> Apply(Dictionary<string, string> environment, int processors)
    {
        InlineSocketCompletions.Apply(n => environment.GetValueOrDefault(n), (n, v) => environment[n] = v, processors);
        return environment;
    }

    // The engine threads exist once the first socket is made, long before the first answer: counting after two
    // answers on one connection counts a server that is serving.
    private static int EngineThreads(int pid) =>
        Directory.GetDirectories($"/proc/{pid}/task").Count(task => File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == EngineThreadName);

    private static async Task<int> GetTwiceAsync(CliProcess server)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", server.Port);
        var stream = client.GetStream();
        var request = Encoding.ASCII.GetBytes("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(request);
        var all = Encoding.ASCII.GetString(await ReadToEndAsync(stream));
        return all.Split("HTTP/1.1 200 OK").Length - 1 == 2 && all.EndsWith("hello\n", StringComparison.Ordinal) ? 2 : 0;
    }

    private static async Task<byte[]> ReadToEndAsync(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var all = new MemoryStream();
        await stream.CopyToAsync(all, timeout.Token);
        return all.ToArray();
    }
}
