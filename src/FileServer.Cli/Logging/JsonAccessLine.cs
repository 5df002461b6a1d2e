using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using FileServer.Hosting;

namespace FileServer.Cli.Logging;

/// <summary>
/// An access line in the JSON layout (<c>--access-log-format json</c>), written into the buffer of an
/// <see cref="AccessLineWriter"/>: a class of its own so that System.Text.Json loads only when this layout is used.
/// </summary>
internal sealed class JsonAccessLine(IBufferWriter<byte> buffer) : IDisposable
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };
    private static readonly JsonEncodedText TimeName = JsonEncodedText.Encode("time"), ClientName = JsonEncodedText.Encode("client"),
        MethodName = JsonEncodedText.Encode("method"), TargetName = JsonEncodedText.Encode("target"), VersionName = JsonEncodedText.Encode("version"),
        StatusName = JsonEncodedText.Encode("status"), BytesName = JsonEncodedText.Encode("bytes"), DurationName = JsonEncodedText.Encode("duration_ms"),
        BodyPathName = JsonEncodedText.Encode("body_path"), RefererName = JsonEncodedText.Encode("referer"),
        UserAgentName = JsonEncodedText.Encode("user_agent"), RangeName = JsonEncodedText.Encode("range"), TlsName = JsonEncodedText.Encode("tls");

    private readonly IBufferWriter<byte> _buffer = buffer;
    private readonly Utf8JsonWriter _json = new(buffer, Options);

    /// <summary>Writes the object for <paramref name="r"/> (no newline), with its time and client as given.</summary>
    public void Write(AccessRecord r, ReadOnlySpan<char> time, ReadOnlySpan<char> client)
    {
        _json.Reset(_buffer);
        _json.WriteStartObject();
        _json.WriteString(TimeName, time);
        _json.WriteString(ClientName, client);
        _json.WriteString(MethodName, r.Method);
        _json.WriteString(TargetName, r.Target);
        _json.WriteString(VersionName, r.Version);
        _json.WriteNumber(StatusName, r.Status);
        _json.WriteNumber(BytesName, r.BodyBytes);
        _json.WriteNumber(DurationName, r.DurationMs);
        _json.WriteString(BodyPathName, r.BodyPath);
        StringOrNull(RefererName, r.Referer);
        StringOrNull(UserAgentName, r.UserAgent);
        StringOrNull(RangeName, r.Range);
        StringOrNull(TlsName, r.Tls);
        _json.WriteEndObject();
        _json.Flush();
    }

    /// <inheritdoc />
    public void Dispose() => _json.Dispose();

    private void StringOrNull(JsonEncodedText name, string? value)
    {
        if (value is null)
        {
            _json.WriteNull(name);
        }
        else
        {
            _json.WriteString(name, value);
        }
    }
}
