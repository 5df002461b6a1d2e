namespace FileServer.Hosting;

/// <summary>The server cannot start (root missing, port in use…); the message is one line meant for a user.</summary>
public sealed class StartupException : Exception
{
    /// <summary>Creates the exception with a user-facing message.</summary>
    public StartupException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
