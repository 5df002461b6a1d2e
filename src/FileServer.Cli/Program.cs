using FileServer.Cli;
using FileServer.Platform;

// First, before anything sets up .NET's signal handling, which skips a signal ignored at that moment: a script's
// `server &` inherits SIGINT ignored, and `kill -INT` must still stop the server, as it stops nginx.
PlatformDetector.Detect().RestoreInheritedInterrupt();
InlineSocketCompletions.EnableUnlessSet();
return await CommandLine.RunAsync(args).ConfigureAwait(false);
