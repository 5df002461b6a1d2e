using System.Net.Sockets;
using System.Security.Authentication;

namespace LoadGen;

/// <summary>How the modes name and sort the failures they count.</summary>
internal static class Errors
{
    /// <summary>A short name for a failure: the socket error code, "timeout", or the exception type.</summary>
    public static string Kind(Exception e) => e switch
    {
        SocketException s => s.SocketErrorCode.ToString(),
        OperationCanceledException => "timeout",
        IOException { InnerException: SocketException s } => s.SocketErrorCode.ToString(),
        AuthenticationException => "tls-handshake",
        IOException { InnerException: AuthenticationException } => "tls-handshake",
        _ => e.GetType().Name,
    };

    public static bool IsNetwork(Exception e) =>
        e is SocketException or IOException or ObjectDisposedException or OperationCanceledException or AuthenticationException;
}
