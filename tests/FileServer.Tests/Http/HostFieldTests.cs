using FileServer.Http;

namespace FileServer.Tests.Http;

public class HostFieldTests
{
    [TestCase("")]
    [TestCase("example.com")]
    [TestCase("example.com:8080")]
    [TestCase("example.com:")]
    [TestCase("127.0.0.1:80")]
    [TestCase("[::1]")]
    [TestCase("[::1]:8080")]
    [TestCase("[fe80::1%25eth0]")]
    [TestCase("[v1.fe80::a+en1]")]
    [TestCase("a,b")]
    [TestCase("xn--bcher-kva.example")]
    [TestCase("caf%C3%A9.example")]
    public void ValidValues_AreAccepted(string value)
    {
        Assert.That(HostField.IsValid(value), Is.True);
    }

    [TestCase("a b")]
    [TestCase("x/y")]
    [TestCase("user@x")]
    [TestCase("x:abc")]
    [TestCase("x:80:80")]
    [TestCase("[::1")]
    [TestCase("[]")]
    [TestCase("[::1]x")]
    [TestCase("[::1]:8o")]
    [TestCase("x%zz")]
    [TestCase("x%4")]
    [TestCase("x\"y")]
    [TestCase("x?y")]
    [TestCase("x#y")]
    public void InvalidValues_AreRefused(string value)
    {
        Assert.That(HostField.IsValid(value), Is.False);
    }
}
