using FileServer.Http;

namespace FileServer.Tests.Support;

/// <summary>Request header fields from <c>Name: value</c> lines, as the parser would have filled them.</summary>
internal static class HeaderFields
{
    public static RequestHeaders Of(params string[] fields)
    {
        var headers = new RequestHeaders();
        foreach (var field in fields)
        {
            var colon = field.IndexOf(':', StringComparison.Ordinal);
            headers.Add(field[..colon], field[(colon + 1)..].Trim());
        }
        return headers;
    }
}
