namespace FileServer.Transport;

/// <summary>Buffering limits of a transport.</summary>
/// <param name="HighWatermark">Queued bytes at or above which <see cref="ITransport.DrainAsync"/> waits.</param>
/// <param name="LowWatermark">Queued bytes at or below which a waiting <see cref="ITransport.DrainAsync"/> resumes.</param>
/// <param name="SendFileChunk">Most bytes handed to one kernel send-file operation, so one fast client cannot monopolise a thread (nginx's <c>sendfile_max_chunk</c>).</param>
public sealed record TransportOptions(int HighWatermark = 64 * 1024, int LowWatermark = 16 * 1024, int SendFileChunk = 8 * 1024 * 1024)
{
    /// <summary>asyncio's defaults: high 64 KiB, low 16 KiB; 8 MiB send-file slices.</summary>
    public static TransportOptions Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> unless 0 &lt; low &lt; high and the chunk is positive.</summary>
    public void Validate()
    {
        if (LowWatermark <= 0 || HighWatermark <= LowWatermark)
        {
            throw new ArgumentException($"watermarks must satisfy 0 < low < high (low {LowWatermark}, high {HighWatermark})");
        }
        if (HighWatermark > 1024 * 1024 * 1024)
        {
            throw new ArgumentException($"high watermark {HighWatermark} is above 1g");
        }
        if (SendFileChunk <= 0)
        {
            throw new ArgumentException("the send-file chunk must be positive");
        }
    }
}
