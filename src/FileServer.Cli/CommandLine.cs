using System.CommandLine;
using FileServer.Hosting;
using Microsoft.Extensions.Logging;

namespace FileServer.Cli;

/// <summary>The <c>fileserver</c> command: options, parsing, and the exit-code contract (0 ok, 1 cannot start, 2 usage).</summary>
internal static class CommandLine
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new Argument<string>("root") { Description = "Directory to serve", DefaultValueFactory = _ => "." };
        var host = new Option<string>("--host") { Description = "Address to listen on (127.0.0.1, ::1, 0.0.0.0, ::, localhost)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port", "-p") { Description = "TCP port; 0 picks a free one", DefaultValueFactory = _ => 8080 };
        var noSendFile = new Option<bool>("--no-sendfile") { Description = "Send every body through the write-then-drain copy loop" };
        var readyFile = new Option<string?>("--ready-file") { Description = "Write the server's URL to this file once it listens" };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Trace, Debug, Information, Warning, Error, Critical or None", DefaultValueFactory = _ => LogLevel.Information };
        var followSymlinks = new Option<bool>("--follow-symlinks") { Description = "Serve symlinks that lead outside the root" };
        var dotfiles = new Option<bool>("--dotfiles") { Description = "Serve files and directories whose names start with a dot" };
        var shutdownTimeout = new Option<double>("--shutdown-timeout") { Description = "Seconds running responses may take to finish on SIGTERM/SIGINT", DefaultValueFactory = _ => 10 };

        root.Validators.Add(result =>
        {
            // With an optional positional argument, an unknown --flag would otherwise be taken for the root.
            if (result.Tokens is [{ Value: ['-', _, ..] value }])
            {
                result.AddError($"unknown option '{value}'");
            }
        });

        var command = new RootCommand("Serve a directory over HTTP/1.1, with zero-copy sendfile where possible.")
        {
            root, host, port, noSendFile, readyFile, logLevel, followSymlinks, dotfiles, shutdownTimeout,
        };
        command.SetAction((result, _) =>
        {
            var options = new FileServerOptions
            {
                Root = result.GetValue(root)!,
                Host = result.GetValue(host)!,
                Port = result.GetValue(port),
                DisableSendFile = result.GetValue(noSendFile),
                FollowSymlinks = result.GetValue(followSymlinks),
                AllowDotfiles = result.GetValue(dotfiles),
                ShutdownTimeout = TimeSpan.FromSeconds(result.GetValue(shutdownTimeout)),
            };
            return ServeCommand.RunAsync(options, result.GetValue(logLevel), result.GetValue(readyFile));
        });

        var parsed = command.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync($"fileserver: {parsed.Errors[0].Message} (see --help)").ConfigureAwait(false);
            return 2;
        }
        // Signals are ours to handle (graceful shutdown), not System.CommandLine's.
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
    }
}
