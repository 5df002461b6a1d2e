using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FileServer.Platform;

/// <summary>
/// A receive and a send that never wait, on a socket whatever its mode (Linux <c>MSG_DONTWAIT</c>): see
/// <see cref="IPlatform.ReceiveNow"/> and <see cref="IPlatform.SendNow"/>.
/// </summary>
/// <remarks>
/// .NET makes an accepted socket non-blocking on its first asynchronous operation, with <c>fcntl(F_GETFL)</c> and
/// <c>fcntl(F_SETFL)</c> (nginx's <c>accept4</c> passes <c>SOCK_NONBLOCK</c> instead). A connection whose request came
/// with it (the deferred accept) and that closes after one response never needs to wait: read, answered and closed
/// with these, it never pays the two calls. Measured: docs/performance.md, "A new connection per request".
/// </remarks>
internal static unsafe class ImmediateSocketCalls
{
    private const int MsgDontWait = 0x40;
    private const int MsgMore = 0x8000;
    private const int MsgNoSignal = 0x4000;
    private const int EIntr = 4;
    private const int EPipe = 32;
    private const int EConnReset = 104;

    /// <summary>See <see cref="IPlatform.ReceiveNow"/>.</summary>
    public static int Receive(Socket socket, Span<byte> buffer)
    {
        fixed (byte* bytes = buffer)
        {
            nint received;
            do
            {
                received = LibC.recv(socket.SafeHandle, bytes, (nuint)buffer.Length, MsgDontWait);
            }
            while (received < 0 && Marshal.GetLastPInvokeError() == EIntr);
            return received >= 0 ? (int)received : Failed();
        }
    }

    /// <summary>See <see cref="IPlatform.SendNow"/>.</summary>
    public static int Send(Socket socket, ReadOnlySpan<byte> buffer, bool holdTail)
    {
        var flags = MsgDontWait | MsgNoSignal | (holdTail ? MsgMore : 0);
        fixed (byte* bytes = buffer)
        {
            nint sent;
            do
            {
                sent = LibC.send(socket.SafeHandle, bytes, (nuint)buffer.Length, flags);
            }
            while (sent < 0 && Marshal.GetLastPInvokeError() == EIntr);
            return sent >= 0 ? (int)sent : Failed();
        }
    }

    // The peer's reset is reported here, as .NET would word it: the call consumed it, and .NET's own call would then
    // see an end of stream. Anything else (EAGAIN above all) is -1, and .NET's asynchronous call takes over and
    // reports what it meets.
    private static int Failed() => Marshal.GetLastPInvokeError() switch
    {
        EConnReset => throw new SocketException((int)SocketError.ConnectionReset),
        EPipe => throw new SocketException((int)SocketError.Shutdown),
        _ => -1,
    };
}
