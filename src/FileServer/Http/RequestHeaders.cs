namespace FileServer.Http;

/// <summary>
/// The header fields of one request in arrival order. Names compare case-insensitively (RFC 9110 §5.1);
/// a field that occurs several times keeps every occurrence.
/// </summary>
public sealed class RequestHeaders
{
    // Most clients send fewer than eight fields (curl three, wrk one); the list grows for the rest.
    private readonly List<KeyValuePair<string, string>> _fields = new(8);

    /// <summary>How many field lines the request carried.</summary>
    public int Count => _fields.Count;

    /// <summary>Every field line, in arrival order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields => _fields;

    /// <summary>Adds one field line.</summary>
    public void Add(string name, string value) => _fields.Add(new(name, value));

    /// <summary>The first value of <paramref name="name"/>, or null when absent.</summary>
    public string? Get(string name)
    {
        foreach (var field in _fields)
        {
            if (string.Equals(field.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return field.Value;
            }
        }
        return null;
    }

    /// <summary>How many field lines named <paramref name="name"/> there are.</summary>
    public int CountOf(string name)
    {
        var count = 0;
        foreach (var field in _fields)
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
        foreach (var field in _fields)
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
        foreach (var field in _fields)
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
