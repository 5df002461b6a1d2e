using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

// SendFilePeer MODE PORT ROOT: answers every GET for ROOT/<path> with 200, Content-Length and the whole file, then
// closes; nothing else of HTTP. MODE "block": a thread per connection, blocking receive, send and one sendfile(2)
// call for the whole body, so .NET's socket engine never runs. MODE "async": the path FileServer takes,
// Socket.SendPacketsAsync in 2 MiB slices. Both hold TCP_CORK over head and body, as FileServer and nginx
// (tcp_nopush) do: without it one loopback stream measured 0.75x nginx.
if (args.Length != 3 || args[0] is not ("block" or "async") || !int.TryParse(args[1], out var port))
{
    await Console.Error.WriteLineAsync("usage: SendFilePeer block|async PORT ROOT").ConfigureAwait(false);
    return 2;
}
var blocking = args[0] == "block";
var root = Path.GetFullPath(args[2]);
using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
listener.Listen(512);
Console.WriteLine($"listening on 127.0.0.1:{port}, {args[0]}");
while (true)
{
    var connection = listener.Accept();
    if (blocking)
    {
        new Thread(() => Peer.Serve(connection, root)) { IsBackground = true }.Start();
    }
    else
    {
        _ = Task.Run(() => Peer.ServeAsync(connection, root));
    }
}

internal static class Peer
{
    private const int IpProtoTcp = 6;
    private const int TcpCork = 3;
    private const int Slice = 2 << 20;

    public static void Serve(Socket connection, string root)
    {
        using (connection)
        {
            try
            {
                ServeBlocking(connection, root);
            }
            catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
            {
                // One connection's failure (a reset, a missing file) must not end the thread's process.
                Console.Error.WriteLine($"connection failed: {e.Message}");
            }
        }
    }

    private static void ServeBlocking(Socket connection, string root)
    {
        var buffer = new byte[8192];
        var received = 0;
        string? path;
        while ((path = PathOf(buffer, received, root)) is null)
        {
            var n = connection.Receive(buffer, received, buffer.Length - received, SocketFlags.None);
            if (n == 0 || (received += n) == buffer.Length)
            {
                return;
            }
        }
        using var file = File.OpenHandle(path);
        var length = RandomAccess.GetLength(file);
        Cork(connection, 1);
        connection.Send(Head(length));
        long offset = 0;
        while (offset < length)
        {
            if (SendFile((int)connection.Handle, (int)file.DangerousGetHandle(), ref offset, (nint)(length - offset)) <= 0)
            {
                Console.Error.WriteLine($"sendfile: errno {Marshal.GetLastPInvokeError()}");
                return;
            }
        }
        Cork(connection, 0);
    }

    public static async Task ServeAsync(Socket connection, string root)
    {
        using (connection)
        {
            try
            {
                var buffer = new byte[8192];
                var received = 0;
                string? path;
                while ((path = PathOf(buffer, received, root)) is null)
                {
                    var n = await connection.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None).ConfigureAwait(false);
                    if (n == 0 || (received += n) == buffer.Length)
                    {
                        return;
                    }
                }
                // SendPacketsElement takes only a FileStream opened for asynchronous I/O.
                using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: true);
                var length = file.Length;
                Cork(connection, 1);
                await connection.SendAsync(Head(length), SocketFlags.None).ConfigureAwait(false);
                using var operation = new SocketAsyncEventArgs();
                for (long offset = 0; offset < length;)
                {
                    var slice = (int)Math.Min(length - offset, Slice);
                    var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                    void OnCompleted(object? sender, SocketAsyncEventArgs e) => done.TrySetResult(e.SocketError == SocketError.Success ? e.BytesTransferred : -1);
                    operation.Completed += OnCompleted;
                    operation.SendPacketsElements = [new SendPacketsElement(file, offset, slice, endOfPacket: false)];
                    if (!connection.SendPacketsAsync(operation))
                    {
                        OnCompleted(null, operation);
                    }
                    var sent = await done.Task.ConfigureAwait(false);
                    operation.Completed -= OnCompleted;
                    if (sent <= 0)
                    {
                        return;
                    }
                    offset += sent;
                }
                Cork(connection, 0);
            }
            catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"connection failed: {e.Message}").ConfigureAwait(false);
            }
        }
    }

    // The target of "GET /path HTTP/1.1" once the head is complete; null while it is not.
    private static string? PathOf(byte[] buffer, int received, string root)
    {
        var head = Encoding.ASCII.GetString(buffer, 0, received);
        if (!head.Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            return null;
        }
        var parts = head.Split(' ');
        var target = parts.Length > 1 ? parts[1].TrimStart('/') : "-";
        var path = Path.GetFullPath(Path.Combine(root, target));
        return path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? path : Path.Combine(root, "-");
    }

    private static byte[] Head(long length) =>
        Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n");

    private static void Cork(Socket socket, int on) => socket.SetRawSocketOption(IpProtoTcp, TcpCork, BitConverter.GetBytes(on));

    [DllImport("libc", EntryPoint = "sendfile", SetLastError = true)]
    private static extern long SendFile(int outFd, int inFd, ref long offset, nint count);
}
