// Minimal Kestrel static-files server for scripts/bench.sh:
//   dotnet KestrelStatic.dll --root DIR --urls http://127.0.0.1:PORT
// Serves every file under DIR (unknown extensions as application/octet-stream, so .bin files are served too)
// with UseStaticFiles' defaults otherwise: Range, ETag/Last-Modified, HEAD. Logs at Warning and above.
using Microsoft.Extensions.FileProviders;

WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});
builder.Logging.SetMinimumLevel(LogLevel.Warning);

string? root = builder.Configuration["root"];
if (string.IsNullOrEmpty(root) || !Directory.Exists(root))
{
    Console.Error.WriteLine("KestrelStatic: --root DIR (an existing directory) is required");
    return 2;
}

WebApplication app = builder.Build();
app.UseStaticFiles(new StaticFileOptions
{
    FileProvider = new PhysicalFileProvider(Path.GetFullPath(root)),
    ServeUnknownFileTypes = true,
    DefaultContentType = "application/octet-stream",
});
await app.RunAsync().ConfigureAwait(false);
return 0;
