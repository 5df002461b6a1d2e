using FileServer.Http;
using FileServer.Tests.Support;

namespace FileServer.Tests.Http;

/// <summary>RFC 9110 §13.2.2's evaluation order, one row per rule and per interaction between rules.</summary>
public class PreconditionsTests
{
    private static readonly EntityTag Current = new("\"abc\"", IsWeak: false);
    private static readonly DateTimeOffset Modified = new(2024, 5, 1, 12, 0, 0, 500, TimeSpan.Zero);
    private const string AtModified = "Wed, 01 May 2024 12:00:00 GMT";
    private const string Before = "Wed, 01 May 2024 11:59:59 GMT";
    private const string After = "Wed, 01 May 2024 12:00:01 GMT";

    private static RequestHeaders Headers(params string[] fields) => HeaderFields.Of(fields);

    [TestCase("GET", new string[0], PreconditionOutcome.Proceed, TestName = "NoConditions_Proceed")]
    // Step 1: If-Match, strong comparison.
    [TestCase("GET", new[] { "If-Match: \"abc\"" }, PreconditionOutcome.Proceed, TestName = "IfMatch_Matching_Proceed")]
    [TestCase("GET", new[] { "If-Match: \"x\", \"abc\"" }, PreconditionOutcome.Proceed, TestName = "IfMatch_ListContaining_Proceed")]
    [TestCase("GET", new[] { "If-Match: *" }, PreconditionOutcome.Proceed, TestName = "IfMatch_Star_Proceed")]
    [TestCase("GET", new[] { "If-Match: \"xyz\"" }, PreconditionOutcome.PreconditionFailed, TestName = "IfMatch_Other_412")]
    [TestCase("GET", new[] { "If-Match: W/\"abc\"" }, PreconditionOutcome.PreconditionFailed, TestName = "IfMatch_WeakNeverMatches_412")]
    [TestCase("GET", new[] { "If-Match: garbage" }, PreconditionOutcome.PreconditionFailed, TestName = "IfMatch_Unparsable_412")]
    [TestCase("GET", new[] { "If-Match: \"abc\"", "If-Unmodified-Since: " + Before }, PreconditionOutcome.Proceed, TestName = "IfMatch_TrumpsIfUnmodifiedSince")]
    // Step 2: If-Unmodified-Since.
    [TestCase("GET", new[] { "If-Unmodified-Since: " + AtModified }, PreconditionOutcome.Proceed, TestName = "IfUnmodifiedSince_Equal_Proceed")]
    [TestCase("GET", new[] { "If-Unmodified-Since: " + After }, PreconditionOutcome.Proceed, TestName = "IfUnmodifiedSince_Later_Proceed")]
    [TestCase("GET", new[] { "If-Unmodified-Since: " + Before }, PreconditionOutcome.PreconditionFailed, TestName = "IfUnmodifiedSince_Earlier_412")]
    [TestCase("GET", new[] { "If-Unmodified-Since: not a date" }, PreconditionOutcome.Proceed, TestName = "IfUnmodifiedSince_Invalid_Ignored")]
    // Step 3: If-None-Match, weak comparison.
    [TestCase("GET", new[] { "If-None-Match: \"abc\"" }, PreconditionOutcome.NotModified, TestName = "IfNoneMatch_Matching_304")]
    [TestCase("HEAD", new[] { "If-None-Match: W/\"abc\"" }, PreconditionOutcome.NotModified, TestName = "IfNoneMatch_WeakMatches_304")]
    [TestCase("GET", new[] { "If-None-Match: *" }, PreconditionOutcome.NotModified, TestName = "IfNoneMatch_Star_304")]
    [TestCase("GET", new[] { "If-None-Match: \"x\"" }, PreconditionOutcome.Proceed, TestName = "IfNoneMatch_Other_Proceed")]
    [TestCase("DELETE", new[] { "If-None-Match: \"abc\"" }, PreconditionOutcome.PreconditionFailed, TestName = "IfNoneMatch_MatchingOnUnsafeMethod_412")]
    [TestCase("GET", new[] { "If-None-Match: \"x\"", "If-Modified-Since: " + After }, PreconditionOutcome.Proceed, TestName = "IfNoneMatch_TrumpsIfModifiedSince")]
    [TestCase("GET", new[] { "If-Unmodified-Since: " + Before, "If-None-Match: \"abc\"" }, PreconditionOutcome.PreconditionFailed, TestName = "IfUnmodifiedSince_EvaluatedBeforeIfNoneMatch")]
    // Step 4: If-Modified-Since, GET/HEAD only.
    [TestCase("GET", new[] { "If-Modified-Since: " + AtModified }, PreconditionOutcome.NotModified, TestName = "IfModifiedSince_Equal_304")]
    [TestCase("GET", new[] { "If-Modified-Since: " + After }, PreconditionOutcome.NotModified, TestName = "IfModifiedSince_Later_304")]
    [TestCase("GET", new[] { "If-Modified-Since: " + Before }, PreconditionOutcome.Proceed, TestName = "IfModifiedSince_Earlier_Proceed")]
    [TestCase("GET", new[] { "If-Modified-Since: Wednesday, 01-May-24 12:00:00 GMT" }, PreconditionOutcome.NotModified, TestName = "IfModifiedSince_Rfc850Date_304")]
    [TestCase("GET", new[] { "If-Modified-Since: Wed May  1 12:00:00 2024" }, PreconditionOutcome.NotModified, TestName = "IfModifiedSince_AsctimeDate_304")]
    [TestCase("GET", new[] { "If-Modified-Since: yesterday" }, PreconditionOutcome.Proceed, TestName = "IfModifiedSince_Invalid_Ignored")]
    [TestCase("DELETE", new[] { "If-Modified-Since: " + After }, PreconditionOutcome.Proceed, TestName = "IfModifiedSince_IgnoredForOtherMethods")]
    [TestCase("GET", new[] { "If-Match: \"xyz\"", "If-None-Match: \"abc\"" }, PreconditionOutcome.PreconditionFailed, TestName = "IfMatch_EvaluatedFirst")]
    [TestCase("GET", new[] { "If-Modified-Since: " + AtModified, "If-Modified-Since: " + Before }, PreconditionOutcome.Proceed, TestName = "IfModifiedSince_TwoLines_Ignored")]
    [TestCase("GET", new[] { "If-Unmodified-Since: " + Before, "If-Unmodified-Since: " + After }, PreconditionOutcome.Proceed, TestName = "IfUnmodifiedSince_TwoLines_Ignored")]
    // The outcome comes as object: a public test method cannot take the engine's internal enum.
    public void Evaluate_FollowsTheRfcOrder(string method, string[] fields, object expected)
    {
        Assert.That(Preconditions.Evaluate(method, Headers(fields), Current, Modified), Is.EqualTo((PreconditionOutcome)expected));
    }

    [TestCase(null, true, TestName = "NoIfRange_RangeApplies")]
    [TestCase("\"abc\"", true, TestName = "IfRange_SameStrongTag_RangeApplies")]
    [TestCase("\"old\"", false, TestName = "IfRange_OtherTag_WholeFile")]
    [TestCase("W/\"abc\"", false, TestName = "IfRange_WeakTag_WholeFile")]
    [TestCase(AtModified, true, TestName = "IfRange_ExactLastModified_RangeApplies")]
    [TestCase(Before, false, TestName = "IfRange_EarlierDate_WholeFile")]
    [TestCase(After, false, TestName = "IfRange_LaterDate_WholeFile")]
    [TestCase("garbage", false, TestName = "IfRange_Garbage_WholeFile")]
    public void IfRange_DecidesWhetherRangeApplies(string? ifRange, bool applies)
    {
        var headers = ifRange is null ? Headers() : Headers("If-Range: " + ifRange);
        Assert.That(Preconditions.RangeApplies(headers, Current, Modified, Modified.AddMinutes(5)), Is.EqualTo(applies));
    }

    [TestCase(0, false, TestName = "IfRange_DateOfAFileModifiedThisVeryMoment_IsWeak_WholeFile")]
    [TestCase(999, false, TestName = "IfRange_DateOfAFileModifiedUnderASecondAgo_IsWeak_WholeFile")]
    [TestCase(1000, true, TestName = "IfRange_DateOfAFileUnchangedForASecond_IsStrong_RangeApplies")]
    public void IfRange_Date_IsStrongOnlyOnceTheFileHasStayedUnchangedForASecond(int millisecondsSinceModified, bool applies)
    {
        var headers = Headers("If-Range: " + AtModified);
        Assert.That(Preconditions.RangeApplies(headers, Current, Modified, Modified.AddMilliseconds(millisecondsSinceModified)), Is.EqualTo(applies));
    }

    [Test]
    public void IfRange_OnTwoLines_IsInvalid_WholeFile()
    {
        var headers = Headers("If-Range: \"abc\"", "If-Range: \"abc\"");
        Assert.That(Preconditions.RangeApplies(headers, Current, Modified, Modified.AddMinutes(5)), Is.False);
    }

    [TestCase("\"a\", W/\"b\" , \"c\"", 3)]
    [TestCase("\"\"", 1)]
    [TestCase("\"a\",,\"b\"", 2)]
    public void EntityTagList_ParsesValidLists(string value, int count)
    {
        Assert.That(EntityTagList.TryParse(value, out var list), Is.True);
        Assert.That(list.Tags, Has.Count.EqualTo(count));
    }

    [TestCase("abc")]
    [TestCase("\"a b\"")]
    [TestCase("\"unterminated")]
    [TestCase("\"a\" \"b\"")]
    [TestCase("")]
    public void EntityTagList_RejectsInvalidLists(string value)
    {
        Assert.That(EntityTagList.TryParse(value, out _), Is.False);
    }
}
