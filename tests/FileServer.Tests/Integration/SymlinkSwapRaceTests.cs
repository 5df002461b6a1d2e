using System.Runtime.InteropServices;
using FileServer.Tests.Support;

namespace FileServer.Tests.Integration;

/// <summary>
/// The attack of issue 20, short: while keep-alive clients fetch <c>/d/secret.txt</c>, a name on its path is
/// atomically exchanged (<c>renameat2(RENAME_EXCHANGE)</c>) with a symlink that leads outside the root, as fast as
/// the kernel allows. A server that checks a path and then opens it by name sends the outside file in the gap;
/// one that opens what it checked, beneath a descriptor of the root, never does. Bounded by a request count and
/// a deadline, both cache settings, a directory on the path and the final name.
/// </summary>
[TestFixture(1000)]
[TestFixture(0)]
[NonParallelizable]
public class SymlinkSwapRaceTests(int openFileCache)
{
    private const string Inside = "inside the root";
    private const string Outside = "OUTSIDE THE ROOT";
    private const int Clients = 4;
    private const int RequestsPerClient = 1500;
    private const uint RenameExchange = 2;
    private static readonly string[] Expected = ["inside", "404", "403"];

    [Test]
    public Task DirectoryOnThePath_SwappedWithAnOutsideLink_NeverServesTheOutside() =>
        RaceAsync("d", "d-swap", (tree) =>
        {
            tree.WriteText("root/d/secret.txt", Inside);
            tree.WriteText("outside/secret.txt", Outside);
            File.CreateSymbolicLink(tree.PathOf("root/d-swap"), tree.PathOf("outside"));
        });

    [Test]
    public Task FinalName_SwappedWithAnOutsideLink_NeverServesTheOutside() =>
        RaceAsync("d/secret.txt", "d/secret-swap", (tree) =>
        {
            tree.WriteText("root/d/secret.txt", Inside);
            tree.WriteText("outside/secret.txt", Outside);
            File.CreateSymbolicLink(tree.PathOf("root/d/secret-swap"), tree.PathOf("outside/secret.txt"));
        });

    private async Task RaceAsync(string swapped, string link, Action<TempTree> build)
    {
        using var tree = new TempTree();
        build(tree);
        await using var server = TestServer.Start(tree.PathOf("root"), o => o with { OpenFileCacheSize = openFileCache });
        var rootPath = tree.PathOf("root");

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var clientsDone = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        var swapper = Task.Factory.StartNew(
            () => Swap(Path.Combine(rootPath, swapped), Path.Combine(rootPath, link), clientsDone.Token),
            TaskCreationOptions.LongRunning);
        var clients = Enumerable.Range(0, Clients)
            .Select(_ => Task.Factory.StartNew(() => Fetch(server, deadline.Token), TaskCreationOptions.LongRunning))
            .ToArray();
        var outcomes = await Task.WhenAll(clients);
        await clientsDone.CancelAsync();
        var swaps = await swapper;

        var all = outcomes.SelectMany(o => o).GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
        TestContext.Out.WriteLine($"cache {openFileCache}: {swaps} swaps; " + string.Join(", ", all.Select(kv => $"{kv.Key}: {kv.Value}")));
        Assert.Multiple(() =>
        {
            Assert.That(all.GetValueOrDefault("outside"), Is.Zero, "responses that carried the file outside the root");
            Assert.That(all.GetValueOrDefault("inside"), Is.Positive, "the file inside was served while it was there");
            Assert.That(all.Keys, Is.SubsetOf(Expected), "every other answer is a refusal");
            Assert.That(swaps, Is.GreaterThan(100), "the names really changed places while the clients fetched");
        });
    }

    private static List<string> Fetch(TestServer server, CancellationToken deadline)
    {
        var outcomes = new List<string>(RequestsPerClient);
        var connection = server.Connect();
        try
        {
            for (var i = 0; i < RequestsPerClient && !deadline.IsCancellationRequested; i++)
            {
                var response = connection.Get("/d/secret.txt");
                outcomes.Add(response.Status switch
                {
                    200 when response.BodyText == Inside => "inside",
                    200 when response.BodyText == Outside => "outside",
                    _ => response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture),
                });
                if (response.Header("Connection") == "close")
                {
                    connection.Dispose();
                    connection = server.Connect();
                }
            }
        }
        finally
        {
            connection.Dispose();
        }
        return outcomes;
    }

    // Each exchange is atomic: at every instant one name is the real entry and the other the link.
    private static int Swap(string a, string b, CancellationToken stop)
    {
        var swaps = 0;
        while (!stop.IsCancellationRequested)
        {
            if (renameat2(AtCurrentDirectory, a, AtCurrentDirectory, b, RenameExchange) != 0)
            {
                throw new IOException($"renameat2(RENAME_EXCHANGE) failed: errno {Marshal.GetLastPInvokeError()}");
            }
            swaps++;
        }
        // An even count leaves the tree as it was built, so it deletes as a tree and not through a link.
        if (swaps % 2 == 1)
        {
            _ = renameat2(AtCurrentDirectory, a, AtCurrentDirectory, b, RenameExchange);
            swaps++;
        }
        return swaps;
    }

    private const int AtCurrentDirectory = -100;

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int renameat2(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);
}
