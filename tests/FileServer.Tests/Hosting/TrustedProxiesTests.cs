using System.Net;
using FileServer.Hosting;
using FileServer.Http;
using FileServer.Tests.Support;

namespace FileServer.Tests.Hosting;

/// <summary>
/// <c>--trusted-proxy</c>: the client a trusted proxy names (RFC 7239 <c>Forwarded</c> first, then
/// <c>X-Forwarded-For</c>, read from the nearest hop), and nothing taken from anyone else.
/// </summary>
public sealed class TrustedProxiesTests
{
    private static readonly TrustedProxies Proxies = new([IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("127.0.0.1/32"), IPNetwork.Parse("::1/128")]);

    [TestCase("X-Forwarded-For: 203.0.113.7", "203.0.113.7", TestName = "XForwardedFor_OneHop")]
    [TestCase("X-Forwarded-For: 198.51.100.1, 203.0.113.7, 10.0.0.2", "203.0.113.7", TestName = "XForwardedFor_SkipsTrustedHops_FromTheRight")]
    [TestCase("X-Forwarded-For: 10.0.0.9, 10.0.0.2", "10.0.0.9", TestName = "XForwardedFor_AllTrusted_TheFirstIsTheClient")]
    [TestCase("X-Forwarded-For: 203.0.113.7:5123", "203.0.113.7", TestName = "XForwardedFor_WithPort")]
    [TestCase("X-Forwarded-For: [2001:db8::1]:5123", "2001:db8::1", TestName = "XForwardedFor_BracketedV6WithPort")]
    [TestCase("Forwarded: for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60", TestName = "Forwarded_For")]
    [TestCase("Forwarded: for=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17", TestName = "Forwarded_QuotedV6WithPort")]
    [TestCase("Forwarded: for=198.51.100.9, for=10.1.2.3", "198.51.100.9", TestName = "Forwarded_TwoElements")]
    public void ClientOf_NamesTheClient(string field, string expected)
    {
        Assert.That(Proxies.ClientOf(Headers(field)), Is.EqualTo(expected));
    }

    [Test]
    public void Forwarded_IsReadBeforeXForwardedFor()
    {
        Assert.That(Proxies.ClientOf(Headers("X-Forwarded-For: 198.51.100.1", "Forwarded: for=192.0.2.60")), Is.EqualTo("192.0.2.60"));
    }

    [TestCase("X-Forwarded-For: not-an-address", TestName = "Garbage_NamesNoOne")]
    [TestCase("Forwarded: for=unknown", TestName = "ForwardedUnknown_NamesNoOne")]
    [TestCase("Forwarded: for=_hidden", TestName = "ForwardedObfuscated_NamesNoOne")]
    [TestCase("Via: 1.1 proxy", TestName = "NoForwardingFields_NamesNoOne")]
    public void ClientOf_IsNull_WhenNothingReadableIsNamed(string field)
    {
        Assert.That(Proxies.ClientOf(Headers(field)), Is.Null);
    }

    [TestCase("10.200.3.4", true)]
    [TestCase("11.0.0.1", false)]
    [TestCase("::ffff:127.0.0.1", true)]
    [TestCase("::1", true)]
    [TestCase("2001:db8::1", false)]
    public void Trusts_TheConfiguredNetworks(string address, bool trusted)
    {
        Assert.That(Proxies.Trusts(IPAddress.Parse(address)), Is.EqualTo(trusted));
    }

    [Test]
    public async Task AccessLog_NamesTheForwardedClient_OnlyWhenThePeerIsTrusted()
    {
        using var tree = new TempTree();
        tree.WriteText("root/a.txt", "a");
        await using (var trusting = TestServer.Start(tree.PathOf("root"), o => o with { TrustedProxies = [IPNetwork.Parse("127.0.0.0/8")] }))
        {
            using var connection = trusting.Connect();
            Assert.That(connection.Get("/a.txt", "X-Forwarded-For: 203.0.113.7, 127.0.0.5\r\n").Status, Is.EqualTo(200));
            var line = await trusting.Logs.WaitForEventAsync(2).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.That(line.Values["Client"], Is.EqualTo("203.0.113.7"));
        }
        await using (var sceptical = TestServer.Start(tree.PathOf("root"), o => o with { TrustedProxies = [IPNetwork.Parse("10.0.0.0/8")] }))
        {
            using var connection = sceptical.Connect();
            Assert.That(connection.Get("/a.txt", "X-Forwarded-For: 203.0.113.7\r\n").Status, Is.EqualTo(200));
            var line = await sceptical.Logs.WaitForEventAsync(2).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.That((string?)line.Values["Client"], Does.StartWith("127.0.0.1:"), "a peer that is not trusted is the client, whatever it says");
        }
    }

    private static RequestHeaders Headers(params string[] fields) => HeaderFields.Of(fields);
}
