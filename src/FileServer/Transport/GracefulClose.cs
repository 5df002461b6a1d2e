using System.IO.Pipelines;
using System.Net.Sockets;

namespace FileServer.Transport;

/// <summary>
/// The end of a connection that lets the client read everything: half-close the send side within the linger
/// time, then read and drop what the peer still sends until it closes, because closing a socket with unread input
/// makes the kernel send a reset, which can destroy the last response before the client has read it.
/// </summary>
internal static class GracefulClose
{
    /// <summary>
    /// Waits for <paramref name="shutdownSend"/>, already started (bounded by <paramref name="linger"/>), then discards input until the peer
    /// closes or <paramref name="linger"/> passes; skips the discard when the peer already said it sends no more and
    /// nothing of it is pending. Returns false when the half-close itself did not finish in time.
    /// </summary>
    public static async ValueTask<bool> RunAsync(
        ValueTask shutdownSend, PipeReader input, Socket socket, TimeSpan linger, bool peerSendsNoMore, TimeProvider clock)
    {
        try
        {
            if (shutdownSend.IsCompleted)
            {
                // A plain socket's half-close is a syscall, done by now: no task, no timer.
                await shutdownSend.ConfigureAwait(false);
            }
            else
            {
                await shutdownSend.AsTask().WaitAsync(linger, clock).ConfigureAwait(false);
            }
        }
        catch (TimeoutException)
        {
            return false;
        }
        if (peerSendsNoMore && !IsInputPending(input, socket))
        {
            return true;
        }
        await DiscardInputAsync(input, linger, clock).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Whether the peer sent bytes that nobody read, buffered in the reader or still in the kernel; the kernel is asked
    /// (<c>FIONREAD</c>) only when <paramref name="kernelMayHoldInput"/>.
    /// </summary>
    public static bool IsInputPending(PipeReader input, Socket socket, bool kernelMayHoldInput = true)
    {
        if (input.TryRead(out var buffered))
        {
            var pending = !buffered.Buffer.IsEmpty;
            input.AdvanceTo(buffered.Buffer.Start);
            if (pending)
            {
                return true;
            }
        }
        return kernelMayHoldInput && socket.Available > 0;
    }

    private static async Task DiscardInputAsync(PipeReader input, TimeSpan linger, TimeProvider clock)
    {
        using var timeout = new CancellationTokenSource(linger, clock);
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The peer kept the connection open past the linger time: close anyway.
        }
    }
}
