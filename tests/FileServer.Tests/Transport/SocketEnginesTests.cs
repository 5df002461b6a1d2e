using FileServer.Transport;

namespace FileServer.Tests.Transport;

/// <summary>The socket engines read from the runtime's two variables, with its defaults for what is unset.</summary>
public sealed class SocketEnginesTests
{
    [TestCase(null, null, 4, false, 1, 1)]
    [TestCase("0", null, 4, false, 1, 1)]
    [TestCase("1", null, 4, true, 4, 4)]
    [TestCase("1", "2", 4, true, 2, 2)]
    [TestCase("1", "0", 4, true, 4, 4)]
    [TestCase("1", "x", 4, true, 4, 4)]
    [TestCase("1", "500", 4, true, 500, 64)]
    [TestCase(null, "3", 4, false, 3, 1)]
    public void Environment_GivesTheEngines_AndTheListenersPerAddress(string? inline, string? count, int processors, bool isInline, int engines, int listeners)
    {
        var variables = new Dictionary<string, string?>
        {
            ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = inline,
            ["DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT"] = count,
        };

        var found = SocketEngines.From(name => variables.GetValueOrDefault(name), processors);

        Assert.That((found.Inline, found.Count, found.ListenersPerAddress), Is.EqualTo((isInline, engines, listeners)));
    }
}
