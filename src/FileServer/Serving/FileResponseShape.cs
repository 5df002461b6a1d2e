namespace FileServer.Serving;

/// <summary>How a file response is dressed beyond the file itself.</summary>
/// <param name="Attachment">Named as a download (<c>?download</c>): <c>Content-Disposition: attachment</c>.</param>
/// <param name="Coding">The content coding of an encoded sibling served in the original's place, or null.</param>
/// <param name="VariesByEncoding">Whether the answer depends on <c>Accept-Encoding</c> (the file has usable siblings).</param>
/// <param name="NamedPath">The path the client asked for, when the bytes come from a sibling: its name and type are used.</param>
internal readonly record struct FileResponseShape(bool Attachment, string? Coding = null, bool VariesByEncoding = false, string? NamedPath = null);
