// FileServer as a hosted service of a generic-host application: its options from configuration (appsettings.json,
// environment FileServer__Root, or --FileServer:Root on the command line), its logs through the host's logging, and
// it stops with the host (SIGTERM, Ctrl-C).
using FileServer.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
// Whatever configuration says, plus what this program insists on: here, a free port.
builder.Services.AddFileServer(options => options with { Port = 0 });
using var app = builder.Build();

await app.StartAsync();
foreach (var url in app.Services.GetRequiredService<FileServerHost>().Urls)
{
    Console.WriteLine($"Listening on {url}");
}
await app.WaitForShutdownAsync();
