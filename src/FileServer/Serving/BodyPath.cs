namespace FileServer.Serving;

/// <summary>How a response body left the server; named in the access log (<c>body=…</c>).</summary>
internal enum BodyPath
{
    /// <summary>No body (HEAD, 304, errors answered from memory).</summary>
    None,
    /// <summary>The kernel sent the file (<c>sendfile(2)</c>): zero-copy.</summary>
    SendFile,
    /// <summary>Read into a buffer and written through the transport: the write-then-drain loop.</summary>
    Copy,
}
