using CsCheck;
using FileServer.Http;

namespace FileServer.Tests.Properties;

/// <summary>
/// Conditional requests (RFC 9110 §13.2.2) under generated field values: never an exception; a client that
/// sends back the validators it was given gets 304 (GET, HEAD) or may write (If-Match); a range applies with the
/// current strong tag.
/// </summary>
public class PreconditionProperties
{
    private static readonly string[] Pieces = ["\"", "W/", "*", ",", " ", "abc", "\"x\"", "W/\"x\"", "\"5f-1a\"", "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "GMT", "\t", "\u00e9"];

    private static readonly Gen<string> FieldValue = Gen.OneOf(Gen.OneOf(Pieces).Array[0, 8].Select(string.Concat), Gen.String);
    private static readonly string[] Names = ["If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range"];
    private static readonly Gen<EntityTag> Tag = Gen.Select(Gen.Long[0, long.MaxValue], Gen.Long[0, long.MaxValue]).Select((l, m) => EntityTag.ForFile(l, m));
    private static readonly Gen<DateTimeOffset> Time = Gen.Long[0, 253_402_300_799L].Select(s => DateTimeOffset.FromUnixTimeSeconds(s));

    [Test]
    public void AnyConditionalFields_NeverThrow() =>
        PropertyRuns.Check(Gen.Select(Gen.Select(Gen.OneOf(Names), FieldValue).Array[0, 6], Tag, Time, Gen.OneOf("GET", "HEAD", "POST")),
            c =>
            {
                var (fields, tag, modified, method) = c;
                var headers = Headers(fields);
                _ = Preconditions.Evaluate(method, headers, tag, modified);
                _ = Preconditions.RangeApplies(headers, tag, modified, modified.AddSeconds(5));
            }, c => string.Join(" | ", c.Item1.Select(f => $"{f.Item1}: {PropertyRuns.Visible(f.Item2)}")));

    [Test]
    public void ValidatorsSentBack_AnswerNotModified_AndLetARangeApply() =>
        PropertyRuns.Check(Gen.Select(Tag, Time, Gen.Int[0, 3]), ((EntityTag Tag, DateTimeOffset Modified, int Form) c) =>
        {
            var date = HttpDate.Format(c.Modified);
            var headers = c.Form switch
            {
                0 => Headers([("If-None-Match", c.Tag.ToString())]),
                1 => Headers([("If-None-Match", $"\"other\", W/{c.Tag}")]),
                2 => Headers([("If-Modified-Since", date)]),
                _ => Headers([("If-None-Match", "*")]),
            };
            Assert.Multiple(() =>
            {
                Assert.That(Preconditions.Evaluate("GET", headers, c.Tag, c.Modified), Is.EqualTo(PreconditionOutcome.NotModified));
                Assert.That(Preconditions.Evaluate("GET", Headers([("If-Match", c.Tag.ToString())]), c.Tag, c.Modified), Is.EqualTo(PreconditionOutcome.Proceed));
                Assert.That(Preconditions.RangeApplies(Headers([("If-Range", c.Tag.ToString())]), c.Tag, c.Modified, c.Modified.AddSeconds(5)), Is.True);
                Assert.That(Preconditions.RangeApplies(Headers([("If-Range", "W/" + c.Tag)]), c.Tag, c.Modified, c.Modified.AddSeconds(5)), Is.False, "weak tags never let a range apply");
            });
        });

    [Test]
    public void HttpDate_FormatsAndReadsBack() =>
        PropertyRuns.Check(Time, time =>
        {
            Assert.That(HttpDate.TryParse(HttpDate.Format(time), out var back), Is.True);
            Assert.That(back, Is.EqualTo(time));
        });

    private static RequestHeaders Headers((string Name, string Value)[] fields)
    {
        var headers = new RequestHeaders();
        foreach (var (name, value) in fields)
        {
            headers.Add(name, value);
        }
        return headers;
    }
}
