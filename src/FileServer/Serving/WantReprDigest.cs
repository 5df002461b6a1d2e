using FileServer.Http;

namespace FileServer.Serving;

/// <summary>
/// RFC 9530 §4: <c>Want-Repr-Digest</c> is a dictionary of algorithms and preferences 0–10, 0 meaning "not
/// acceptable". The server has SHA-256 only, and sends it unless the client gave it 0.
/// </summary>
internal static class WantReprDigest
{
    /// <summary>Whether the request asks for a <c>Repr-Digest</c> that SHA-256 can answer.</summary>
    public static bool AsksForSha256(RequestHeaders headers)
    {
        if (headers.GetCombined("Want-Repr-Digest") is not { } want)
        {
            return false;
        }
        foreach (var member in want.Split(','))
        {
            var equals = member.IndexOf('=', StringComparison.Ordinal);
            var key = (equals < 0 ? member : member[..equals]).Trim();
            if (key.Equals("sha-256", StringComparison.OrdinalIgnoreCase))
            {
                var value = equals < 0 ? "1" : member[(equals + 1)..].Split(';')[0].Trim();
                return value != "0";
            }
        }
        // Other algorithms only: ours is offered anyway (§4 lets a server send any it supports).
        return true;
    }
}
