using Microsoft.Extensions.Hosting;

namespace FileServer.Hosting;

/// <summary>
/// Starts <see cref="FileServerHost"/> with the application and stops it gracefully with it; when the application's
/// stop deadline passes first, the responses still running are aborted.
/// </summary>
internal sealed class FileServerHostedService(FileServerHost server) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        server.Start();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await using var deadline = cancellationToken.Register(server.StopNow);
        await server.StopAsync().ConfigureAwait(false);
    }
}
