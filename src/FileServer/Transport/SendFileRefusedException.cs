using System.Net.Sockets;

namespace FileServer.Transport;

/// <summary>
/// The kernel would not send this file with <c>sendfile(2)</c> (<c>EINVAL</c>: a file system that cannot splice,
/// <c>EOPNOTSUPP</c>, or an error .NET does not name, such as <c>ENOSYS</c> or a disk error): no byte of the refused
/// call left and the connection is intact, so the caller can send the rest of the range another way.
/// </summary>
internal sealed class SendFileRefusedException : IOException
{
    /// <summary>Creates the exception for a refusal with <paramref name="error"/> after <paramref name="sent"/> bytes of the range.</summary>
    public SendFileRefusedException(SocketError error, long sent, Exception inner)
        : base($"sendfile refused: {error}", inner)
    {
        Error = error;
        Sent = sent;
    }

    /// <summary>The refusal, as .NET names the errno.</summary>
    public SocketError Error { get; }

    /// <summary>Bytes of the range sent before the refusal: the rest starts at this offset into it.</summary>
    public long Sent { get; }

    /// <summary>
    /// Whether the refusal belongs to the file's file system rather than to this file or this moment (EINVAL,
    /// EOPNOTSUPP): every file there will be refused alike.
    /// </summary>
    public bool IsFileSystemProperty => Error is SocketError.InvalidArgument or SocketError.OperationNotSupported;

    /// <summary>
    /// Whether a failed send-file with <paramref name="error"/> is the kernel refusing the file rather than the peer
    /// failing: the peer's errors (reset, broken pipe, timeout, abort) all have names of their own.
    /// </summary>
    public static bool IsRefusal(SocketError error) =>
        error is SocketError.InvalidArgument or SocketError.OperationNotSupported or SocketError.SocketError;
}
