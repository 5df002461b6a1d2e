using FileServer.Cli;

return await CommandLine.RunAsync(args).ConfigureAwait(false);
