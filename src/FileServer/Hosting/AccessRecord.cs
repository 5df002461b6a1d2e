using System.Collections;
using System.Globalization;

namespace FileServer.Hosting;

/// <summary>
/// One access-log event (event id 2): everything a log line of any format needs, as the event's structured state, so
/// a provider writes common, combined or JSON lines from the fields, and any other provider sees them as properties.
/// </summary>
/// <param name="Client">The peer's address and port.</param>
/// <param name="Time">When the request began.</param>
/// <param name="Method">The method, or <c>-</c> for a request that never parsed.</param>
/// <param name="Target">The request-target as sent, or <c>-</c>.</param>
/// <param name="Version">The protocol, e.g. <c>HTTP/1.1</c>, or <c>-</c>.</param>
/// <param name="Status">The status sent.</param>
/// <param name="BodyBytes">Body bytes sent (fewer than announced when cut short).</param>
/// <param name="DurationMs">From the request's start to the response's end, in milliseconds.</param>
/// <param name="BodyPath">How the body left: <c>sendfile</c>, <c>copy</c> or <c>none</c>.</param>
/// <param name="Referer">The <c>Referer</c> field, or null.</param>
/// <param name="UserAgent">The <c>User-Agent</c> field, or null.</param>
/// <param name="Range">The <c>Range</c> field, or null.</param>
/// <param name="Tls">The TLS version (<c>TLSv1.3</c>), or null on plain TCP.</param>
public sealed record AccessRecord(
    string Client, DateTimeOffset Time, string Method, string Target, string Version, int Status, long BodyBytes,
    long DurationMs, string BodyPath, string? Referer, string? UserAgent, string? Range, string? Tls)
    : IReadOnlyList<KeyValuePair<string, object?>>
{
    /// <summary>The template the text form follows, as <c>{OriginalFormat}</c> for providers that show it.</summary>
    public const string Template = "{Client} \"{Method} {Target} {Version}\" {Status} {Bytes} {DurationMs}ms body={BodyPath}";

    /// <summary>The text form of the event, as the default log line shows it.</summary>
    public static string Format(AccessRecord record, Exception? exception) =>
        string.Create(CultureInfo.InvariantCulture, $"{record.Client} \"{record.Method} {record.Target} {record.Version}\" {record.Status} {record.BodyBytes} {record.DurationMs}ms body={record.BodyPath}");

    /// <inheritdoc />
    public int Count => 14;

    /// <inheritdoc />
    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("Client", Client),
        1 => new("Time", Time),
        2 => new("Method", Method),
        3 => new("Target", Target),
        4 => new("Version", Version),
        5 => new("Status", Status),
        6 => new("Bytes", BodyBytes),
        7 => new("DurationMs", DurationMs),
        8 => new("BodyPath", BodyPath),
        9 => new("Referer", Referer),
        10 => new("UserAgent", UserAgent),
        11 => new("Range", Range),
        12 => new("Tls", Tls),
        13 => new("{OriginalFormat}", Template),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public override string ToString() => Format(this, null);
}
