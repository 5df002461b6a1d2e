using System.Text;
using CsCheck;
using FileServer.Http;
using FileServer.Serving;

namespace FileServer.Tests.Properties;

/// <summary>
/// Request targets, paths and Host values under generated input: never an exception; what a path decodes to can
/// never step out of the directory it names; names percent-encoded read back as themselves; well-formed hosts are
/// accepted and the redirect built from any path never names another authority.
/// </summary>
public class TargetProperties
{
    private static readonly string[] Pieces = ["/", "//", "\\", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "%00", "%", "%zz", "%c0%ae", "%C0%AF",
        "%e0%80%ae", "%ff", "a", "b.txt", "é", "?", "#", "http://", "https://x", "HTTP://a:80", "@", ":", "\0", "\r", "\n", " ", "~", "%25"];

    private static readonly Gen<string> TargetLike = Gen.OneOf(Pieces).Array[0, 20].Select(string.Concat);

    [Test]
    public void AnyTarget_DecodesToSafeNamesOrIsRefused() =>
        PropertyRuns.Check(Gen.OneOf(TargetLike, Gen.String), target =>
        {
            if (!RequestTarget.TryParse(target, out var parsed))
            {
                return;
            }
            Assert.That(parsed.RawPath, Does.StartWith("/"));
            if (!PathSegments.TryDecode(parsed.RawPath, out var segments, out _, out var error))
            {
                Assert.That(error, Is.Not.Empty);
                return;
            }
            foreach (var segment in segments)
            {
                Assert.That(segment, Is.Not.Empty.And.Not.EqualTo(".").And.Not.EqualTo(".."));
                Assert.That(segment.IndexOfAny(['/', '\\', '\0']), Is.EqualTo(-1), segment);
            }
            var location = RedirectLocation.ForDirectory(segments, parsed.Query);
            Assert.That(location, Does.StartWith("/").And.Not.StartWith("//").And.Not.StartWith("/\\"));
        }, PropertyRuns.Visible);

    [Test]
    public void NamesPercentEncoded_DecodeToThemselves() =>
        PropertyRuns.Check(Gen.String.Where(s => s.Length > 0 && s is not ("." or "..") && s.IndexOfAny(['/', '\\', '\0']) < 0 && IsValidUtf16(s)).Array[1, 6],
            names =>
            {
                var path = "/" + string.Join('/', names.Select(Uri.EscapeDataString));
                Assert.That(PathSegments.TryDecode(path, out var segments, out var namesDirectory, out var error), Is.True, error);
                Assert.That(segments, Is.EqualTo(names));
                Assert.That(namesDirectory, Is.False);
            }, names => string.Join(" / ", names.Select(PropertyRuns.Visible)));

    [Test]
    public void AnyHost_NeverThrows_AndWellFormedHostsAreValid()
    {
        PropertyRuns.Check(Gen.String, host => _ = HostField.IsValid(host), PropertyRuns.Visible);
        var label = Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-"].Array[1, 20].Select(c => new string(c));
        var regName = label.Array[1, 4].Select(l => string.Join('.', l));
        var ipv4 = Gen.Byte.Array[4, 4].Select(b => string.Join('.', b));
        var ipv6 = Gen.UShort.Array[8, 8].Select(w => "[" + string.Join(':', w.Select(x => x.ToString("x", System.Globalization.CultureInfo.InvariantCulture))) + "]");
        var withPort = Gen.Select(Gen.OneOf(regName, ipv4, ipv6), Gen.Int[-1, 65535])
            .Select((host, port) => port < 0 ? host : $"{host}:{port}");
        PropertyRuns.Check(withPort, host => Assert.That(HostField.IsValid(host), Is.True, host));
    }

    private static bool IsValidUtf16(string s)
    {
        try
        {
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetByteCount(s);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }
}
