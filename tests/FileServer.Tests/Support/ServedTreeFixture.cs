using FileServer.Hosting;

namespace FileServer.Tests.Support;

/// <summary>A fixture that serves one temporary tree for all its tests: the subclass fills <c>root/</c>.</summary>
public abstract class ServedTreeFixture
{
    protected TempTree Tree { get; private set; } = null!;

    private protected TestServer Server { get; private set; } = null!;

    /// <summary>Writes the files to serve, under <c>root/</c> of <paramref name="tree"/>.</summary>
    protected abstract void Populate(TempTree tree);

    /// <summary>The server's options; the defaults unless overridden.</summary>
    protected virtual FileServerOptions Configure(FileServerOptions options) => options;

    [OneTimeSetUp]
    public void StartServer()
    {
        Tree = new TempTree();
        Populate(Tree);
        Server = TestServer.Start(Tree.PathOf("root"), Configure);
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
        Tree?.Dispose();
    }
}
