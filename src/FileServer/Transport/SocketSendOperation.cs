using System.Net.Sockets;

namespace FileServer.Transport;

/// <summary>
/// A reusable awaitable socket send — one buffer, a gathered list, or a file range — completing once the kernel has
/// taken every byte. On Linux .NET turns a file element into <c>sendfile(2)</c> at its offset, waiting on epoll when
/// the socket is full. Why not <c>Socket.SendAsync</c>: see <see cref="SocketOperation"/>.
/// </summary>
internal sealed class SocketSendOperation : SocketOperation
{
    private readonly SendPacketsElement[] _elements = new SendPacketsElement[1];

    /// <summary>Sends all of <paramref name="bytes"/>; the result is the count sent.</summary>
    public ValueTask<int> SendAsync(Socket socket, ReadOnlyMemory<byte> bytes)
    {
        Reset();
        BufferList = null;
        // The memory stays the caller's until the send completes; SocketAsyncEventArgs only reads it.
        SetBuffer(System.Runtime.InteropServices.MemoryMarshal.AsMemory(bytes));
        return Start(socket.SendAsync(this));
    }

    /// <summary>Sends all of <paramref name="segments"/> in one gathered send (sendmsg); the result is the count sent.</summary>
    public ValueTask<int> SendAsync(Socket socket, IList<ArraySegment<byte>> segments)
    {
        Reset();
        SetBuffer(null, 0, 0);
        BufferList = segments;
        return Start(socket.SendAsync(this));
    }

    /// <summary>
    /// Sends <paramref name="count"/> (&gt; 0) bytes of <paramref name="file"/> from <paramref name="offset"/>; with
    /// <paramref name="resumeInline"/> the caller resumes on the thread that completes it (see <see cref="SocketOperation.Reset"/>).
    /// </summary>
    public ValueTask<int> SendFileAsync(Socket socket, FileStream file, long offset, int count, bool resumeInline = false)
    {
        Reset(resumeInline);
        _elements[0] = new SendPacketsElement(file, offset, count, endOfPacket: false);
        SendPacketsElements = _elements;
        return Start(socket.SendPacketsAsync(this));
    }

    protected override void ClearBuffers()
    {
        _elements[0] = null!;
        SendPacketsElements = null;
        BufferList = null;
        SetBuffer(Memory<byte>.Empty);
    }
}
