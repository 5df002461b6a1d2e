using System.Globalization;
using System.Net.Sockets;
using FileServer.Tests.Support;

namespace FileServer.Tests.Integration;

/// <summary>
/// The corpora of hostile input as data (Corpora/targets.tsv, Corpora/framing.tsv), each line a case with its
/// expected outcome, against one server over a tree with a secret beside the root, a dotfile, and links that lead
/// out. Whatever a line expects, no response carries a byte from outside the root or from a hidden file, and none
/// is a server error (500, 503).
/// </summary>
public class CorpusTests
{
    private const string Secret = "OUTSIDE-SECRET";
    private const string Hidden = "HIDDEN-DOTFILE";

    private static readonly Dictionary<string, string> Files = new()
    {
        ["a.txt"] = "file a\n",
        ["dir/b.txt"] = "file b\n",
        ["dir/index.html"] = "dir index\n",
        ["caf\u00e9.txt"] = "cafe\n",
        ["a b.txt"] = "space\n",
        ["100%.txt"] = "percent\n",
    };

    private TempTree _tree = null!;
    private TestServer _server = null!;

    [OneTimeSetUp]
    public void StartServer()
    {
        _tree = new TempTree();
        foreach (var (name, content) in Files)
        {
            _tree.WriteText("root/" + name, content);
        }
        _tree.WriteText("root/.hidden", Hidden);
        _tree.WriteText("root/dir/.git/config", Hidden);
        _tree.WriteText("secret.txt", Secret);
        _tree.WriteText("etc/passwd", Secret);
        File.CreateSymbolicLink(_tree.PathOf("root/out"), _tree.PathOf("secret.txt"));
        File.CreateSymbolicLink(_tree.PathOf("root/outdir"), _tree.Root);
        // Listings off: the corpus pins where each target leads, and a directory's 404 says it was reached and not
        // served; what a listing shows is DirectoryListingTests' subject.
        _server = TestServer.Start(_tree.PathOf("root"), o => o with { DisableListing = true });
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        await _server.DisposeAsync();
        _tree.Dispose();
    }

    public static IEnumerable<TestCaseData> Targets() => Read("targets.tsv");

    public static IEnumerable<TestCaseData> Framing() => Read("framing.tsv");

    [TestCaseSource(nameof(Targets))]
    public void Target_GetsItsExpectedOutcome_AndNothingFromOutside(string expected, byte[] target, int line)
    {
        using var connection = _server.Connect();
        connection.Send([.. "GET "u8, .. target, .. " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"u8]);
        var response = connection.ReadResponse();
        AssertNothingLeaked(response);
        Assert.That(expected.Split('|').Any(e => Matches(e, response)), Is.True,
            $"line {line}: expected {expected}, got {response.Status} ({Truncate(response.BodyText)})");
    }

    [TestCaseSource(nameof(Framing))]
    public void RequestStream_GetsExactlyItsExpectedResponses(string expected, byte[] stream, int line)
    {
        using var connection = _server.Connect();
        connection.Send(stream);
        connection.Socket.Shutdown(SocketShutdown.Send);
        var statuses = new List<int>();
        while (!connection.IsClosedByServer())
        {
            var response = connection.ReadResponse();
            AssertNothingLeaked(response);
            statuses.Add(response.Status);
        }
        var got = statuses.Count == 0 ? "-" : string.Join(',', statuses);
        Assert.That(expected.Split('|'), Does.Contain(got), $"line {line}");
    }

    private static void AssertNothingLeaked(RawResponse response)
    {
        // 501 (a method not known) and 505 (a version not spoken) are answers about the request, not failures.
        Assert.That(response.Status, Is.LessThan(500).Or.EqualTo(501).Or.EqualTo(505), "never a server error");
        Assert.That(response.BodyText, Does.Not.Contain(Secret).And.Not.Contain(Hidden), "never a byte from outside the root or a hidden file");
    }

    private static bool Matches(string expected, RawResponse response)
    {
        if (expected == "4xx")
        {
            return response.Status is >= 400 and < 500;
        }
        var colon = expected.IndexOf(':', StringComparison.Ordinal);
        var status = int.Parse(colon < 0 ? expected : expected[..colon], CultureInfo.InvariantCulture);
        return response.Status == status && (colon < 0 || response.BodyText == Files[expected[(colon + 1)..]]);
    }

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "…";

    private static IEnumerable<TestCaseData> Read(string file) =>
        CorpusFile.Read(Path.Combine(AppContext.BaseDirectory, "Corpora", file))
            .Select(c => new TestCaseData(c.Expected, c.Bytes, c.Line).SetArgDisplayNames($"{file}:{c.Line}", c.Expected));
}
