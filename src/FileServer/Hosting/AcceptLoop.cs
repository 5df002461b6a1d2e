using System.Net.Sockets;
using FileServer.Serving;
using FileServer.Transport;
using Microsoft.Extensions.Logging;

namespace FileServer.Hosting;

/// <summary>
/// Accepts connections on one of a listener's sockets until stopped. At the connection limit it waits for a free slot (new
/// clients wait in the kernel's backlog); out of descriptors it gives up the <see cref="DescriptorReserve"/>,
/// backs off (5 ms doubling to 500 ms, as Go's server does) and resumes by itself once the reserve can be taken
/// back, logging at most once a second.
/// </summary>
internal sealed class AcceptLoop(
    Listener listener,
    Socket socket,
    ConnectionSlots slots,
    DescriptorReserve reserve,
    LogThrottle outOfDescriptorsLog,
    Action<Socket, ITransportFactory> startConnection,
    TimeProvider clock,
    ILogger log)
{
    private static readonly TimeSpan FirstBackOff = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan LongestBackOff = TimeSpan.FromMilliseconds(500);

    /// <summary>Runs until <paramref name="stop"/> is cancelled (and the listener closed).</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var backOff = TimeSpan.Zero;
        while (!stop.IsCancellationRequested)
        {
            if (backOff > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(backOff, clock, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                if (!reserve.TryRestore())
                {
                    backOff = Longer(backOff);
                    LogOutOfDescriptors("no descriptor free beyond the reserve");
                    continue;
                }
            }

            Socket accepted;
            try
            {
                accepted = await socket.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                break;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                reserve.Release();
                backOff = Longer(backOff);
                LogOutOfDescriptors(Describe(e));
                continue;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                // The client gave up while in the backlog: ordinary, and nothing is short.
                ServerLog.AcceptAborted(log, e.Message);
                continue;
            }
            catch (SocketException e)
            {
                ServerLog.AcceptFailed(log, Describe(e));
                backOff = Longer(backOff);
                continue;
            }
            if (backOff > TimeSpan.Zero)
            {
                ServerLog.AcceptingAgain(log, listener.BaseUrl);
                backOff = TimeSpan.Zero;
            }

            try
            {
                // At the connection limit this loop stops here: the connection just accepted waits for a free slot,
                // and those after it wait in the kernel's backlog. Waiting after the accept (not before) keeps one
                // idle listener from holding a slot that another listener's clients need.
                await slots.TakeAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                accepted.Dispose();
                break;
            }
            startConnection(accepted, listener.Transports);
        }
    }

    private static TimeSpan Longer(TimeSpan backOff) =>
        backOff == TimeSpan.Zero ? FirstBackOff : TimeSpan.FromTicks(Math.Min(backOff.Ticks * 2, LongestBackOff.Ticks));

    // .NET words EMFILE as "Too many open files in system" (ENFILE's meaning) and reports both as the one
    // SocketError, so the errno cannot be told apart here: name both.
    private static string Describe(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.TooManyOpenSockets => "too many open files (EMFILE or ENFILE)",
        _ => $"{e.Message} ({e.SocketErrorCode})",
    };

    private void LogOutOfDescriptors(string reason)
    {
        if (outOfDescriptorsLog.TryPass(out var suppressed))
        {
            ServerLog.OutOfDescriptors(log, listener.BaseUrl, reason, suppressed);
        }
    }
}
