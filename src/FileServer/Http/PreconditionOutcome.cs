namespace FileServer.Http;

/// <summary>The result of evaluating a request's preconditions (RFC 9110 §13.2.2).</summary>
internal enum PreconditionOutcome
{
    /// <summary>Perform the method (and then consider Range).</summary>
    Proceed,
    /// <summary>Answer 304 Not Modified.</summary>
    NotModified,
    /// <summary>Answer 412 Precondition Failed.</summary>
    PreconditionFailed,
}
