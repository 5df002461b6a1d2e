using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using FileServer.Platform;
using FileServer.Transport;

namespace FileServer.Hosting;

/// <summary>
/// Binds the listening sockets the options ask for: one (plain HTTP, or HTTPS on --port), or two (HTTPS on
/// --tls-port and plain HTTP on --port), on the resolved --host. Failures are one-line <see cref="StartupException"/>s.
/// </summary>
/// <remarks>
/// Every listener defers accepting (<see cref="IPlatform.DeferAccept"/>) until the client's first bytes arrive: the
/// connection's first read then finds its request, and it is read, served and (for a client that asked to close)
/// closed in one pass, instead of registering with epoll and waiting for a wake-up first. A client that connects and
/// says nothing is handed over after about <see cref="DeferAcceptWait"/> all the same, and its idle timeout starts then.
/// Each address gets one listening socket, and <paramref name="socketsPerAddress"/> <see cref="Socket"/>s for it where
/// the platform can share one (<see cref="IPlatform.ShareListener"/>): one queue of new connections that every socket
/// engine thread waits on, so a connection goes to whichever is free, where sockets bound apart with
/// <c>SO_REUSEPORT</c> gave each thread its own queue, and a connection could wait in a busy thread's queue while the
/// other slept. Figures: docs/performance.md, "A new connection per request on the third machine". Plain connections
/// size a loopback body's send buffer with <paramref name="sendBuffer"/>.
/// </remarks>
internal sealed class ListenerBinder(FileServerOptions options, IPlatform platform, ReadResumption? resumption = null, int socketsPerAddress = 1,
    SharedLoopbackSendBuffer? sendBuffer = null)
{
    /// <summary>How long the kernel holds a connection that has sent nothing before handing it over anyway.</summary>
    public static readonly TimeSpan DeferAcceptWait = TimeSpan.FromSeconds(1);

    private readonly FileServerOptions _options = options;
    private readonly IPlatform _platform = platform;

    // HTTPS first, so the URL printed first (and written to the ready file first) is the TLS one.
    public List<Listener> BindAll()
    {
        var address = ResolveHost();
        var listeners = new List<Listener>();
        try
        {
            if (_options.Tls is not null)
            {
                listeners.Add(new Listener(BindShared(address, _options.TlsPort ?? _options.Port), CreateTlsTransports()));
                if (_options.TlsPort is not null)
                {
                    listeners.Add(new Listener(BindShared(address, _options.Port), new SocketTransportFactory(resumption, sendBuffer)));
                }
            }
            else
            {
                listeners.Add(new Listener(BindShared(address, _options.Port), new SocketTransportFactory(resumption, sendBuffer)));
            }
        }
        catch
        {
            foreach (var listener in listeners)
            {
                listener.Dispose();
            }
            throw;
        }
        return listeners;
    }

    // Not inlined: compiling it loads the TLS assemblies, which a plain-HTTP server never needs.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private TlsTransportFactory CreateTlsTransports() => new(_options.Tls!.CreateAuthenticationOptions());

    private IPAddress ResolveHost()
    {
        if (IPAddress.TryParse(_options.Host, out var address))
        {
            return address;
        }
        return Resolve(_options.Host);
    }

    // Not inlined: compiling it loads System.Net.NameResolution, which a server given an address never needs.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IPAddress Resolve(string host)
    {
        try
        {
            return Dns.GetHostAddresses(host).FirstOrDefault()
                ?? throw new StartupException($"host '{host}' has no address");
        }
        catch (SocketException e)
        {
            throw new StartupException($"cannot resolve host '{host}': {e.Message}", e);
        }
    }

    private List<Socket> BindShared(IPAddress address, int port)
    {
        var sockets = new List<Socket> { Bind(address, port) };
        while (sockets.Count < socketsPerAddress && _platform.ShareListener(sockets[0]) is { } copy)
        {
            sockets.Add(copy);
        }
        return sockets;
    }

    private Socket Bind(IPAddress address, int port)
    {
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.Equals(IPAddress.IPv6Any))
            {
                listener.DualMode = true;
            }
            listener.Bind(new IPEndPoint(address, port));
            listener.Listen(1024);
            _platform.DeferAccept(listener, DeferAcceptWait);
            return listener;
        }
        catch (SocketException e)
        {
            listener.Dispose();
            var reason = e.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => "address already in use",
                SocketError.AddressNotAvailable => "address not available on this machine",
                SocketError.AccessDenied => "permission denied",
                _ => e.Message,
            };
            throw new StartupException($"cannot listen on {_options.Host}:{port}: {reason}", e);
        }
    }
}
