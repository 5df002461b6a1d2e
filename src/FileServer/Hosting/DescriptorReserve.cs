using System.Net.Sockets;

namespace FileServer.Hosting;

/// <summary>
/// A few descriptors held back for the runtime. When the process runs out (EMFILE), the accept loop gives them
/// up, so that what must still work (a thread pool thread's pipe, an assembly loaded to log the failure, closing
/// connections cleanly) has descriptors to do it with; accepting resumes only once they could be taken back.
/// Without it, .NET aborts the process ("Out of memory.", SIGABRT) when a new thread cannot get its pipe.
/// </summary>
internal sealed class DescriptorReserve : IDisposable
{
    /// <summary>How many descriptors are held while nothing is short.</summary>
    public const int Size = 16;

    private readonly Lock _lock = new();
    private readonly List<Socket> _held = new(Size);
    private bool _disposed;

    public DescriptorReserve() => TryRestore();

    /// <summary>Gives the reserve up, to the runtime and the connections that are ending.</summary>
    public void Release()
    {
        lock (_lock)
        {
            foreach (var socket in _held)
            {
                socket.Dispose();
            }
            _held.Clear();
        }
    }

    /// <summary>
    /// Takes the whole reserve back, and proves one more descriptor is free beyond it (what the next accept needs);
    /// false, holding none, while descriptors are still short.
    /// </summary>
    public bool TryRestore()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return false;
            }
            try
            {
                while (_held.Count < Size)
                {
                    _held.Add(NewDescriptor());
                }
                NewDescriptor().Dispose();
                return true;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                foreach (var socket in _held)
                {
                    socket.Dispose();
                }
                _held.Clear();
                return false;
            }
        }
    }

    // Any descriptor will do: an unbound UDP socket is the cheapest one every platform can make.
    private static Socket NewDescriptor() => new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
        }
        Release();
    }
}
