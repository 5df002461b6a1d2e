// Serves a directory from your own program: a free port, the URL printed, a graceful stop on Ctrl-C.
using FileServer.Hosting;

var root = args.Length > 0 ? args[0] : ".";
await using var server = new FileServerHost(new FileServerOptions { Root = root, Port = 0 });
try
{
    server.Start();
}
catch (StartupException e)
{
    Console.Error.WriteLine($"cannot serve {root}: {e.Message}");
    return 1;
}
Console.WriteLine($"Serving {Path.GetFullPath(root)} on {server.Url}");

var stop = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // stop gracefully below instead of being killed
    stop.TrySetResult();
};
await stop.Task;
await server.StopAsync();
return 0;
