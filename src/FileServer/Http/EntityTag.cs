using System.Globalization;

namespace FileServer.Http;

/// <summary>An entity tag (RFC 9110 §8.8.3): an opaque quoted string, strong or weak.</summary>
/// <param name="Tag">The opaque-tag including its double quotes, e.g. <c>"5f-1a2b"</c>.</param>
/// <param name="IsWeak">Whether the tag carries the <c>W/</c> prefix.</param>
internal readonly record struct EntityTag(string Tag, bool IsWeak)
{
    /// <summary>
    /// The strong validator of a file version: its size and modification time in nanoseconds. No inode, so
    /// replicas serving the same files agree.
    /// </summary>
    public static EntityTag ForFile(long length, long modifiedUnixNanoseconds) =>
        new(string.Create(CultureInfo.InvariantCulture, $"\"{length:x}-{modifiedUnixNanoseconds:x}\""), IsWeak: false);

    /// <summary>The same tag with <c>-<paramref name="suffix"/></c> inside its quotes: another representation of the same version.</summary>
    public EntityTag WithSuffix(string suffix) => this with { Tag = string.Concat(Tag.AsSpan(0, Tag.Length - 1), "-", suffix, "\"") };

    /// <summary>Strong comparison (RFC 9110 §8.8.3.2): both strong and character-for-character equal.</summary>
    public bool StrongEquals(EntityTag other) => !IsWeak && !other.IsWeak && Tag == other.Tag;

    /// <summary>Weak comparison (RFC 9110 §8.8.3.2): the opaque tags match, weakness ignored.</summary>
    public bool WeakEquals(EntityTag other) => Tag == other.Tag;

    /// <summary>The field-value form, <c>W/"x"</c> or <c>"x"</c>.</summary>
    public override string ToString() => IsWeak ? "W/" + Tag : Tag;
}
