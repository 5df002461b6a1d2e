using System.CommandLine;
using System.CommandLine.Parsing;
using FileServer.Tls;

namespace FileServer.Cli;

/// <summary>The HTTPS options of the command line, their mutual rules, and loading the certificate they name.</summary>
internal sealed class TlsCommandLine
{
    public Option<string?> Certificate { get; } = new("--tls-cert") { Description = "PEM certificate file (server certificate first, then intermediates); serves HTTPS" };

    public Option<string?> Key { get; } = new("--tls-key") { Description = "PEM private key file for --tls-cert" };

    public Option<string?> Pkcs12 { get; } = new("--tls-pfx") { Description = "PKCS#12 (.pfx/.p12) file with certificate and key; serves HTTPS" };

    public Option<string?> Pkcs12PasswordVariable { get; } = new("--tls-pfx-password-env") { Description = "Name of the environment variable holding the --tls-pfx password" };

    public Option<bool> SelfSigned { get; } = new("--tls-self-signed") { Description = "Serve HTTPS with an in-memory certificate for localhost, 127.0.0.1 and ::1 (prints its SHA-256 fingerprint)" };

    public Option<string?> CertificateOut { get; } = CommandLine.OutputFile("--tls-cert-out", "With --tls-self-signed: write the certificate (PEM) here, for clients' --cacert");

    public Option<int?> Port { get; } = new("--tls-port") { Description = "Listen for HTTPS on this port and keep plain HTTP on --port (default: --port serves HTTPS only)" };

    public Option<double> HandshakeTimeout { get; } = CommandLine.Seconds("--tls-handshake-timeout", "Seconds a client may take to complete the TLS handshake", 10);

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Certificate, Key, Pkcs12, Pkcs12PasswordVariable, SelfSigned, CertificateOut, Port, HandshakeTimeout })
        {
            command.Options.Add(option);
        }
        command.Validators.Add(Validate);
    }

    /// <summary>Whether any option asks for HTTPS.</summary>
    public bool IsRequested(ParseResult result) =>
        result.GetValue(Certificate) is not null || result.GetValue(Pkcs12) is not null || result.GetValue(SelfSigned);

    /// <summary>The certificate the options name (call only when <see cref="IsRequested"/>).</summary>
    /// <exception cref="TlsCertificateException">A file cannot be read or does not hold a usable certificate.</exception>
    // Not inlined: compiling it loads the TLS and cryptography assemblies, which plain HTTP never needs.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public TlsChoice? Load(ParseResult result, TimeProvider clock)
    {
        if (result.GetValue(Certificate) is { } certificate)
        {
            return new TlsChoice(new TlsSettings(TlsCertificates.LoadPem(certificate, result.GetValue(Key)!)), null);
        }
        if (result.GetValue(Pkcs12) is { } pkcs12)
        {
            string? password = null;
            if (result.GetValue(Pkcs12PasswordVariable) is { } variable)
            {
                password = Environment.GetEnvironmentVariable(variable)
                    ?? throw new TlsCertificateException($"environment variable '{variable}' (--tls-pfx-password-env) is not set");
            }
            return new TlsChoice(new TlsSettings(TlsCertificates.LoadPkcs12(pkcs12, password)), null);
        }
        if (result.GetValue(SelfSigned))
        {
            var made = TlsCertificates.CreateSelfSigned(clock);
            if (result.GetValue(CertificateOut) is { } path)
            {
                try
                {
                    File.WriteAllText(path, made.ExportCertificatePem() + "\n");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new TlsCertificateException($"cannot write certificate to '{path}': {e.Message}", e);
                }
            }
            return new TlsChoice(new TlsSettings(TlsCertificates.ForSelfSigned(made)), made);
        }
        return null;
    }

    private void Validate(CommandResult command)
    {
        var hasCertificate = command.GetValue(Certificate) is not null;
        var hasKey = command.GetValue(Key) is not null;
        var hasPkcs12 = command.GetValue(Pkcs12) is not null;
        var selfSigned = command.GetValue(SelfSigned);
        if (hasCertificate != hasKey)
        {
            command.AddError("--tls-cert and --tls-key go together");
        }
        else if ((hasCertificate ? 1 : 0) + (hasPkcs12 ? 1 : 0) + (selfSigned ? 1 : 0) > 1)
        {
            command.AddError("choose one of --tls-cert/--tls-key, --tls-pfx and --tls-self-signed");
        }
        else if (command.GetValue(Pkcs12PasswordVariable) is not null && !hasPkcs12)
        {
            command.AddError("--tls-pfx-password-env needs --tls-pfx");
        }
        else if (command.GetValue(CertificateOut) is not null && !selfSigned)
        {
            command.AddError("--tls-cert-out needs --tls-self-signed");
        }
        else if (command.GetValue(Port) is not null && !(hasCertificate || hasPkcs12 || selfSigned))
        {
            command.AddError("--tls-port needs a certificate (--tls-cert/--tls-key, --tls-pfx or --tls-self-signed)");
        }
    }
}

/// <summary>The TLS settings chosen on the command line, and the certificate when it was made here (to print its fingerprint).</summary>
internal sealed record TlsChoice(TlsSettings Settings, System.Security.Cryptography.X509Certificates.X509Certificate2? SelfSigned)
{
    /// <summary>The start-up line naming the made certificate's fingerprint, or null for a certificate from files.</summary>
    public string? FingerprintLine => SelfSigned is null ? null : $"TLS certificate SHA-256 fingerprint {TlsCertificates.Fingerprint(SelfSigned)}";
}
