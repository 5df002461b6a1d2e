using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FileServer.Transport;

namespace FileServer.Hosting;

/// <summary>
/// An address listened on and what it speaks (plain HTTP, or HTTPS): one listening socket, as one <see cref="Socket"/>
/// or several descriptors of it (one per socket engine thread), each accepted from by a loop of its own.
/// </summary>
internal sealed class Listener : IDisposable
{
    public Listener(IReadOnlyList<Socket> sockets, ITransportFactory transports)
    {
        Sockets = sockets;
        Transports = transports;
        EndPoint = (IPEndPoint)sockets[0].LocalEndPoint!;
        var host = EndPoint.Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{EndPoint.Address}]" : EndPoint.Address.ToString();
        BaseUrl = string.Create(CultureInfo.InvariantCulture, $"{transports.Scheme}://{host}:{EndPoint.Port}/");
    }

    /// <summary>The listening socket's descriptors, all bound to <see cref="EndPoint"/>.</summary>
    public IReadOnlyList<Socket> Sockets { get; }

    /// <summary>Wraps each accepted socket: plain or TLS.</summary>
    public ITransportFactory Transports { get; }

    /// <summary>The bound address, with the real port when 0 was asked for.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The base URL, e.g. <c>https://127.0.0.1:8443/</c> or <c>http://[::1]:8080/</c>.</summary>
    public string BaseUrl { get; }

    /// <summary>
    /// <see cref="BaseUrl"/> as a <see cref="Uri"/>, made when first asked: the server itself logs and prints the string,
    /// so a command-line server never loads System.Private.Uri (0.4 MiB of idle RSS).
    /// </summary>
    public Uri Url => field ??= new Uri(BaseUrl);

    public void Dispose()
    {
        foreach (var socket in Sockets)
        {
            socket.Dispose();
        }
    }
}
