using System.Buffers;
using FileServer.Http;
using FileServer.Transport;

namespace FileServer.Serving;

/// <summary>The fields every response carries, and the short text error responses.</summary>
public sealed class ResponseHeads
{
    /// <summary>The <c>Server</c> field value.</summary>
    public const string ServerName = "FileServer";

    private readonly DateHeaderCache _date;

    /// <summary>Creates the helper with the shared date cache.</summary>
    public ResponseHeads(DateHeaderCache date)
    {
        _date = date;
    }

    /// <summary>A head for <paramref name="status"/> with <c>Date</c>, <c>Server</c> and the connection decision.</summary>
    public ResponseHead Create(int status, RequestHead? request, bool keepAlive)
    {
        var head = new ResponseHead(status).Add("Date", _date.Now).Add("Server", ServerName);
        if (!keepAlive)
        {
            head.Add("Connection", "close");
        }
        else if (request?.Version == HttpProtocolVersion.Http10)
        {
            // HTTP/1.0 closes by default: say explicitly that this connection persists (RFC 9112 §9.3).
            head.Add("Connection", "keep-alive");
        }
        return head;
    }

    /// <summary>Queues <paramref name="head"/> on <paramref name="transport"/>, encoded straight into its queue.</summary>
    public static void Write(ITransport transport, ResponseHead head)
    {
        var length = head.EncodedLength;
        var written = head.CopyTo(transport.GetWriteBuffer(length).Span);
        transport.CommitWrite(written);
    }

    /// <summary>
    /// Encodes <paramref name="head"/> into a pooled array, for a response whose head must wait its turn among
    /// body segments; dispose the result once the response is sent.
    /// </summary>
    public static PooledBytes Render(ResponseHead head)
    {
        var array = ArrayPool<byte>.Shared.Rent(head.EncodedLength);
        return new PooledBytes(array, head.CopyTo(array));
    }

    /// <summary>
    /// Queues an error response with a one-line text body, e.g. <c>404 Not Found: No such file</c>; HEAD gets
    /// the same head without the body. Returns the body length sent.
    /// </summary>
    public long WriteError(ITransport transport, int status, string reason, RequestHead? request, bool keepAlive, Action<ResponseHead>? extraFields = null)
    {
        var body = System.Text.Encoding.UTF8.GetBytes($"{status} {HttpStatus.ReasonPhrase(status)}: {reason}\n");
        var head = Create(status, request, keepAlive)
            .Add("Content-Type", "text/plain; charset=utf-8")
            .AddContentLength(body.Length);
        extraFields?.Invoke(head);
        Write(transport, head);
        if (request?.Method == "HEAD")
        {
            return 0;
        }
        transport.Write(body);
        return body.Length;
    }
}
