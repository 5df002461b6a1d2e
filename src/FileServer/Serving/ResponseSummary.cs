namespace FileServer.Serving;

/// <summary>What a handler did, for the access log and the connection's keep-alive decision.</summary>
/// <param name="Status">The status sent.</param>
/// <param name="BodyBytes">Body bytes sent (or queued).</param>
/// <param name="BodyPath">How the body left.</param>
/// <param name="KeepAlive">Whether the response promised to keep the connection open.</param>
internal readonly record struct ResponseSummary(int Status, long BodyBytes, BodyPath BodyPath, bool KeepAlive);
