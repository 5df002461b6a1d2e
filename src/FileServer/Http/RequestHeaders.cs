namespace FileServer.Http;

/// <summary>
/// The header fields of one request in arrival order. Names compare case-insensitively (RFC 9110 §5.1);
/// a field that occurs several times keeps every occurrence.
/// </summary>
internal sealed class RequestHeaders
{
    // Most clients send fewer than eight fields (curl three, wrk one); the array grows for the rest. A connection
    // reuses one instance for all its requests: Clear keeps the old entries so that Add can reuse their strings.
    private KeyValuePair<string, string>[] _fields = new KeyValuePair<string, string>[8];
    private int _count;

    /// <summary>How many field lines the request carried.</summary>
    public int Count => _count;

    /// <summary>Every field line, in arrival order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields => new ArraySegment<KeyValuePair<string, string>>(_fields, 0, _count);

    /// <summary>Adds one field line.</summary>
    public void Add(string name, string value)
    {
        if (_count == _fields.Length)
        {
            Array.Resize(ref _fields, _fields.Length * 2);
        }
        _fields[_count++] = new(name, value);
    }

    /// <summary>
    /// Adds one field line whose value is still Latin-1 bytes: when the previous request on this instance had the
    /// same field with the same value at this position (a keep-alive client repeating Host, User-Agent...), its
    /// string is reused instead of decoding a new one.
    /// </summary>
    internal void Add(string name, ReadOnlySpan<byte> value)
    {
        if (_count < _fields.Length && _fields[_count].Key is { } previousName && ReferenceEquals(previousName, name) &&
            _fields[_count].Value is { } previous && System.Text.Ascii.Equals(value, previous))
        {
            _count++;
            return;
        }
        Add(name, System.Text.Encoding.Latin1.GetString(value));
    }

    /// <summary>Forgets every field, for the next request on the same connection.</summary>
    internal void Clear() => _count = 0;

    /// <summary>The first value of <paramref name="name"/>, or null when absent.</summary>
    public string? Get(string name)
    {
        foreach (var field in _fields.AsSpan(0, _count))
        {
            if (string.Equals(field.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return field.Value;
            }
        }
        return null;
    }

    /// <summary>
    /// The value of <paramref name="name"/> when exactly one field line carries it; null when absent or repeated. For
    /// singleton fields (a date, a Range), where two lines make an invalid value that the recipient must ignore
    /// rather than pick one of (RFC 9110 §5.3, §13.1.3).
    /// </summary>
    public string? GetSingle(string name) => CountOf(name) == 1 ? Get(name) : null;

    /// <summary>How many field lines named <paramref name="name"/> there are.</summary>
    public int CountOf(string name)
    {
        var count = 0;
        foreach (var field in _fields.AsSpan(0, _count))
        {
            if (string.Equals(field.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>
    /// All values of <paramref name="name"/> joined as one comma-separated list, the way RFC 9110 §5.3
    /// lets a recipient combine repeated list-based fields; null when absent.
    /// </summary>
    public string? GetCombined(string name)
    {
        string? combined = null;
        foreach (var field in _fields.AsSpan(0, _count))
        {
            if (string.Equals(field.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                combined = combined is null ? field.Value : combined + ", " + field.Value;
            }
        }
        return combined;
    }

    /// <summary>Whether the comma-separated list field <paramref name="name"/> holds <paramref name="token"/>.</summary>
    public bool ListContains(string name, string token)
    {
        foreach (var field in _fields.AsSpan(0, _count))
        {
            if (!string.Equals(field.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            foreach (var range in field.Value.AsSpan().Split(','))
            {
                if (field.Value.AsSpan()[range].Trim(" \t").Equals(token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }
        return false;
    }
}
