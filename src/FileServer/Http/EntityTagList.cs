namespace FileServer.Http;

/// <summary>
/// The value of <c>If-Match</c> / <c>If-None-Match</c> (RFC 9110 §13.1.1–§13.1.2): <c>*</c> or a list of
/// entity-tags, <c>entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE</c>.
/// </summary>
internal sealed class EntityTagList
{
    private EntityTagList(bool isAny, IReadOnlyList<EntityTag> tags)
    {
        IsAny = isAny;
        Tags = tags;
    }

    /// <summary>The field was <c>*</c>: any current representation matches.</summary>
    public bool IsAny { get; }

    /// <summary>The listed tags, in order.</summary>
    public IReadOnlyList<EntityTag> Tags { get; }

    /// <summary>Parses <paramref name="value"/>; false when it is not a valid list (the caller decides what that means).</summary>
    public static bool TryParse(string value, out EntityTagList list)
    {
        list = new EntityTagList(false, []);
        var text = value.AsSpan().Trim(" \t");
        if (text is "*")
        {
            list = new EntityTagList(true, []);
            return true;
        }
        var tags = new List<EntityTag>();
        while (true)
        {
            text = text.TrimStart(" \t,");
            if (text.IsEmpty)
            {
                break;
            }
            var weak = text.StartsWith("W/", StringComparison.Ordinal);
            if (weak)
            {
                text = text[2..];
            }
            if (text.IsEmpty || text[0] != '"')
            {
                return false;
            }
            var close = text[1..].IndexOf('"');
            if (close < 0)
            {
                return false;
            }
            var opaque = text[..(close + 2)];
            // etagc = %x21 / %x23-7E / obs-text: no spaces, no quotes, no controls inside.
            foreach (var c in opaque[1..^1])
            {
                if (c <= ' ' || c == 0x7F)
                {
                    return false;
                }
            }
            tags.Add(new EntityTag(opaque.ToString(), weak));
            text = text[(close + 2)..].TrimStart(" \t");
            if (!text.IsEmpty && text[0] != ',')
            {
                return false;
            }
        }
        list = new EntityTagList(false, tags);
        return tags.Count > 0;
    }

    /// <summary>Whether <paramref name="current"/> matches strongly (If-Match, If-Range).</summary>
    public bool MatchesStrongly(EntityTag current) => IsAny || Tags.Any(t => t.StrongEquals(current));

    /// <summary>Whether <paramref name="current"/> matches weakly (If-None-Match).</summary>
    public bool MatchesWeakly(EntityTag current) => IsAny || Tags.Any(t => t.WeakEquals(current));
}
