namespace FileServer.Tls;

/// <summary>A certificate or key could not be loaded; the message is one line for the user.</summary>
public sealed class TlsCertificateException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TlsCertificateException()
    {
    }

    /// <summary>Creates the exception with a one-line message.</summary>
    public TlsCertificateException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a one-line message and its cause.</summary>
    public TlsCertificateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
