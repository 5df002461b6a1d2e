using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace FileServer.Cli.Logging;

/// <summary>
/// <c>--log-format json</c>: one JSON object per line, with the timestamp, level, category, event id and name, the
/// formatted message, and the event's structured state as properties of <c>state</c> (the values its template
/// names), so a log pipeline needs no parsing of messages.
/// </summary>
internal static class JsonLogLine
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The line (with its newline) for one event.</summary>
    public static string Format<TState>(DateTimeOffset time, string category, LogLevel level, EventId eventId, TState state, string message, Exception? exception)
    {
        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("level", level.ToString());
            json.WriteString("category", category);
            json.WriteNumber("eventId", eventId.Id);
            if (eventId.Name is { } name)
            {
                json.WriteString("eventName", name);
            }
            json.WriteString("message", message);
            if (state is IReadOnlyList<KeyValuePair<string, object?>> properties)
            {
                json.WriteStartObject("state");
                foreach (var (key, value) in properties)
                {
                    if (key != "{OriginalFormat}")
                    {
                        WriteValue(json, key, value);
                    }
                }
                json.WriteEndObject();
            }
            if (exception is not null)
            {
                json.WriteString("exception", exception.ToString());
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length) + "\n";
    }

    /// <summary>Writes one property: numbers as numbers, times in RFC 3339, anything else as its invariant text.</summary>
    public static void WriteValue(Utf8JsonWriter json, string key, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNull(key);
                break;
            case int or long or short or byte or uint or ulong or ushort:
                json.WriteNumber(key, Convert.ToDecimal(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case double d:
                json.WriteNumber(key, d);
                break;
            case bool b:
                json.WriteBoolean(key, b);
                break;
            case DateTimeOffset time:
                json.WriteString(key, time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
                break;
            case TimeSpan span:
                json.WriteNumber(key, span.TotalMilliseconds);
                break;
            default:
                json.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }
}
