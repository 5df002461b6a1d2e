namespace FileServer.Hosting;

/// <summary>One response body being sent now, as a live view shows it.</summary>
/// <param name="Id">The connection's number, stable while it lives (to compute a rate between two looks).</param>
/// <param name="Client">The peer's address.</param>
/// <param name="Target">The request-target.</param>
/// <param name="BodyPath">How the body leaves: <c>sendfile</c>, <c>copy</c> or <c>tls</c>.</param>
/// <param name="Sent">Body bytes handed to the kernel so far.</param>
/// <param name="Total">The body's length; -1 when unknown.</param>
public readonly record struct TransferView(long Id, string Client, string Target, string BodyPath, long Sent, long Total);
