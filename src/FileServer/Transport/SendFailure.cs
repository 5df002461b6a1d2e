using System.Runtime.ExceptionServices;

namespace FileServer.Transport;

/// <summary>
/// Why an <see cref="OutputQueue"/> sends no more: the first send error, or the abort. A struct held in a (non-readonly)
/// field and used in place, like <see cref="LazyCancellation"/>; safe to read and set from any thread.
/// </summary>
internal struct SendFailure
{
    private Exception? _sendError;
    private int _aborted;

    /// <summary>Whether a send has failed or the connection was aborted.</summary>
    public readonly bool HasFailed => Volatile.Read(in _sendError) is not null || IsAborted;

    /// <summary>Whether <see cref="Abort"/> has run.</summary>
    public readonly bool IsAborted => Volatile.Read(in _aborted) != 0;

    /// <summary>Marks the connection aborted: from now on that is the failure reported.</summary>
    public void Abort() => Volatile.Write(ref _aborted, 1);

    /// <summary>Keeps <paramref name="error"/> if it is the first failure and the connection was not aborted.</summary>
    public void Keep(Exception error)
    {
        if (!IsAborted)
        {
            Interlocked.CompareExchange(ref _sendError, error, null);
        }
    }

    /// <summary>The kept send error, else "connection aborted" once aborted, else null.</summary>
    public readonly Exception? Failure() =>
        Volatile.Read(in _sendError) ?? (IsAborted ? new IOException("connection aborted") : null);

    /// <summary>Throws the failure, if there is one, as <see cref="Surface"/> gives it.</summary>
    public readonly void ThrowIfFailed()
    {
        if (Failure() is { } error)
        {
            ExceptionDispatchInfo.Throw(Surface(error));
        }
    }

    /// <summary>
    /// A peer's failure as a fresh IOException each time (each throw has its own trace); anything else — a bug in a
    /// send path — as itself, so it is reported as a failure, not as a client leaving.
    /// </summary>
    public static Exception Surface(Exception error) => error is IOException ? new IOException(error.Message, error) : error;
}
