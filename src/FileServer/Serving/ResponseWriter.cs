using System.Buffers;
using FileServer.Http;
using FileServer.Transport;

namespace FileServer.Serving;

/// <summary>
/// The one way responses start: the fields every response carries, heads queued on a transport or rendered to wait
/// for their body, and the short text error responses, for the request reader and every handler alike.
/// </summary>
internal sealed class ResponseWriter
{
    /// <summary>The <c>Server</c> field value.</summary>
    public const string ServerName = "FileServer";

    private readonly DateHeaderCache _date;

    // Spare heads for reuse: a head lives from Create to Write/Render, never across an await, so a few slots per
    // core cover every head in use at once; when they are all taken a new head is made (and later collected).
    private readonly ResponseHead?[] _spares = new ResponseHead?[Environment.ProcessorCount * 2];

    /// <summary>Creates the helper with the shared date cache.</summary>
    public ResponseWriter(DateHeaderCache date)
    {
        _date = date;
    }

    /// <summary>A head for <paramref name="status"/> with <c>Date</c>, <c>Server</c> and the connection decision.</summary>
    public ResponseHead Create(int status, RequestHead? request, bool keepAlive)
    {
        var head = TakeSpare();
        if (head is null)
        {
            head = new ResponseHead(status);
        }
        else
        {
            head.Reset(status);
        }
        head.Add("Date", _date.Now).Add("Server", ServerName);
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

    /// <summary>
    /// Hands <paramref name="head"/> back for a later <see cref="Create"/>, once it is written or rendered; the
    /// caller must not touch it afterwards. Optional: a head not recycled is simply collected.
    /// </summary>
    public void Recycle(ResponseHead head)
    {
        for (var i = 0; i < _spares.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _spares[i], head, null) is null)
            {
                return;
            }
        }
    }

    private ResponseHead? TakeSpare()
    {
        for (var i = 0; i < _spares.Length; i++)
        {
            if (Volatile.Read(ref _spares[i]) is not null && Interlocked.Exchange(ref _spares[i], null) is { } head)
            {
                return head;
            }
        }
        return null;
    }

    /// <summary>Queues <paramref name="head"/> on <paramref name="transport"/>, encoded straight into its queue.</summary>
    public static void Write(ITransport transport, ResponseHead head)
    {
        var length = head.EncodedLength;
        var written = head.CopyTo(transport.GetWriteBuffer(length).Span);
        transport.CommitWrite(written);
    }

    /// <summary>Queues <paramref name="head"/> on <paramref name="transport"/> and hands it back for reuse.</summary>
    public void WriteAndRecycle(ITransport transport, ResponseHead head)
    {
        Write(transport, head);
        Recycle(head);
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
    /// the same head without the body. Returns the body length sent. The body is marked <c>nosniff</c>, so no
    /// browser takes text built from a request for HTML or script.
    /// </summary>
    public long WriteError(ITransport transport, int status, string reason, RequestHead? request, bool keepAlive, Action<ResponseHead>? extraFields = null)
    {
        var body = System.Text.Encoding.UTF8.GetBytes($"{status} {HttpStatus.ReasonPhrase(status)}: {reason}\n");
        var head = Create(status, request, keepAlive)
            .Add("Content-Type", "text/plain; charset=utf-8")
            .Add("X-Content-Type-Options", "nosniff")
            .AddContentLength(body.Length);
        extraFields?.Invoke(head);
        WriteAndRecycle(transport, head);
        if (request?.Method == "HEAD")
        {
            return 0;
        }
        transport.Write(body);
        return body.Length;
    }

    /// <summary>Answers <paramref name="exchange"/> with an error (see <see cref="WriteError"/>) and summarises it.</summary>
    public ResponseSummary Error(in Exchange exchange, int status, string reason, Action<ResponseHead>? extraFields = null)
    {
        var sent = WriteError(exchange.Transport, status, reason, exchange.Request, exchange.KeepAlive, extraFields);
        return new ResponseSummary(status, sent, BodyPath.None, exchange.KeepAlive);
    }

    /// <summary>
    /// Answers 304 or 412 when the request's preconditions decide against <paramref name="etag"/> and
    /// <paramref name="lastModified"/> (RFC 9110 §13.2.2); null when the response goes ahead. A 304 repeats the ETag
    /// and <paramref name="vary"/>, as the 200 would carry them.
    /// </summary>
    public ResponseSummary? AnswerPreconditions(in Exchange exchange, EntityTag etag, DateTimeOffset? lastModified, string? vary = null)
    {
        var request = exchange.Request;
        switch (Preconditions.Evaluate(request.Method, request.Headers, etag, lastModified))
        {
            case PreconditionOutcome.NotModified:
                var head = Create(HttpStatus.NotModified, request, exchange.KeepAlive).Add("ETag", etag.ToString());
                if (vary is not null)
                {
                    head.Add("Vary", vary);
                }
                WriteAndRecycle(exchange.Transport, head);
                return new ResponseSummary(HttpStatus.NotModified, 0, BodyPath.None, exchange.KeepAlive);
            case PreconditionOutcome.PreconditionFailed:
                return Error(exchange, HttpStatus.PreconditionFailed, "Precondition failed");
            default:
                return null;
        }
    }
}
