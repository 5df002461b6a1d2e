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
/// Each address gets <paramref name="socketsPerAddress"/> listening sockets sharing its port where the platform can
/// share one (<see cref="IPlatform.SharePort"/>), one otherwise. Figures: docs/performance.md, "A new connection per
/// request". Plain connections size a loopback body's send buffer with <paramref name="sendBuffer"/>.
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

    // The first socket picks the port when 0 is asked for (the kernel picks one nobody holds, sharing or not); the
    // others bind to the one it got.
    private List<Socket> BindShared(IPAddress address, int port)
    {
        if (socketsPerAddress > 1 && port != 0)
        {
            // A port shared with another process (a second server started on it by the same user) would split the
            // clients between the two without a word: a plain bind first, so a port in use is refused as it is with
            // one socket.
            Bind(address, port, share: false, out _, listen: false).Dispose();
        }
        var sockets = new List<Socket>();
        try
        {
            sockets.Add(Bind(address, port, share: socketsPerAddress > 1, out var shared));
            var bound = ((IPEndPoint)sockets[0].LocalEndPoint!).Port;
            while (shared && sockets.Count < socketsPerAddress)
            {
                sockets.Add(Bind(address, bound, share: true, out _));
            }
        }
        catch
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
            throw;
        }
        return sockets;
    }

    private Socket Bind(IPAddress address, int port, bool share, out bool shared, bool listen = true)
    {
        shared = false;
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.Equals(IPAddress.IPv6Any))
            {
                listener.DualMode = true;
            }
            // Before the bind, on every socket that shares the port: the kernel's rule.
            shared = share && _platform.SharePort(listener);
            listener.Bind(new IPEndPoint(address, port));
            if (listen)
            {
                listener.Listen(1024);
                _platform.DeferAccept(listener, DeferAcceptWait);
            }
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
