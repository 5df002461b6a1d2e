namespace FileServer.Serving;

/// <summary>
/// What the response being sent has committed to once its body starts: enough for the access log to record a
/// response that is then cut short (the client gone, the send timeout, the shutdown deadline, a file that shrank),
/// with the body bytes that did leave. One per connection, reused for each of its responses.
/// </summary>
internal sealed class ResponseProgress
{
    private readonly TimeProvider _clock;
    private long _bodyStartsAt;

    /// <summary>Progress of responses timed on <paramref name="clock"/>.</summary>
    public ResponseProgress(TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>When (a timestamp of the clock) the body started: the response's first byte was queued then.</summary>
    public long BodyStartedAt { get; private set; }

    /// <summary>Whether a body has started to leave since <see cref="Reset"/>.</summary>
    public bool BodyStarted { get; private set; }

    /// <summary>The status the head announced.</summary>
    public int Status { get; private set; }

    /// <summary>The body's announced length; -1 when unknown.</summary>
    public long BodyLength { get; private set; } = -1;

    /// <summary>How the body leaves.</summary>
    public BodyPath BodyPath { get; private set; }

    /// <summary>Forgets the previous response.</summary>
    public void Reset() => BodyStarted = false;

    /// <summary>
    /// Records a body of a <paramref name="status"/> response about to leave by <paramref name="path"/>; its first
    /// byte is the transport's <paramref name="bodyStartsAt"/>-th (counting every byte written on the connection), and
    /// it is <paramref name="bodyLength"/> bytes long (-1 when unknown).
    /// </summary>
    public void BodyStarting(int status, BodyPath path, long bodyStartsAt, long bodyLength = -1)
    {
        BodyLength = bodyLength;
        Status = status;
        BodyPath = path;
        _bodyStartsAt = bodyStartsAt;
        BodyStartedAt = _clock.GetTimestamp();
        BodyStarted = true;
    }

    /// <summary>The body bytes handed to the kernel, given the transport's count of bytes sent now.</summary>
    public long BodyBytesSent(long transportBytesSent) => Math.Max(0, transportBytesSent - _bodyStartsAt);
}
