using System.Buffers;

namespace FileServer.Transport;

/// <summary>Where an <see cref="OutputQueue"/>'s pump hands the bytes it takes from the queue.</summary>
internal interface IQueuedBytesSender
{
    /// <summary>Sends <paramref name="buffer"/>; the pump awaits it before taking more from the queue.</summary>
    ValueTask SendQueuedAsync(ReadOnlySequence<byte> buffer);
}
