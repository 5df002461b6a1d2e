using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;

namespace FileServer.Cli;

/// <summary>
/// <c>--version</c>: <c>fileserver 0.1.0 (commit 1a2b3c4)</c>, from the informational version the SDK stamps at build
/// time (<c>0.1.0+</c> the full commit id, when built from a git checkout).
/// </summary>
internal sealed class VersionLine : SynchronousCommandLineAction
{
    /// <summary>The line for this build.</summary>
    public static string Text
    {
        get
        {
            var informational = typeof(VersionLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
            var plus = informational.IndexOf('+', StringComparison.Ordinal);
            if (plus < 0)
            {
                return $"fileserver {informational}";
            }
            var commit = informational[(plus + 1)..];
            return $"fileserver {informational[..plus]} (commit {commit[..Math.Min(7, commit.Length)]})";
        }
    }

    /// <inheritdoc />
    public override int Invoke(ParseResult parseResult)
    {
        parseResult.InvocationConfiguration.Output.WriteLine(Text);
        return 0;
    }
}
