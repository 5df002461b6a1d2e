using System.Globalization;
using FileServer.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// In the namespace of IServiceCollection, as every AddXxx is: found without a using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The server as a hosted service of a <c>Microsoft.Extensions.Hosting</c> application.</summary>
public static class FileServerServiceCollectionExtensions
{
    /// <summary>The configuration section read first: <c>FileServer:Root</c>, <c>FileServer:Port</c>, …</summary>
    public const string ConfigurationSection = "FileServer";

    /// <summary>
    /// Adds a <see cref="FileServerHost"/> (resolvable, for its <see cref="FileServerHost.Urls"/>) that starts and stops
    /// with the application and logs through the application's logging. Its options are read from the configuration
    /// section <c>FileServer</c> (<c>Root</c>, <c>Host</c>, <c>Port</c>, <c>DisableSendFile</c>, <c>DisableListing</c>,
    /// <c>AllowDotfiles</c>, <c>FollowSymlinks</c>, <c>CacheControl</c>, <c>ShutdownTimeout</c>), then given to
    /// <paramref name="configure"/>, which returns the options to use (<c>options =&gt; options with { Port = 0 }</c>).
    /// </summary>
    /// <exception cref="StartupException">At the application's start, when the options or the root are refused.</exception>
    public static IServiceCollection AddFileServer(this IServiceCollection services, Func<FileServerOptions, FileServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(provider =>
        {
            var configured = FromConfiguration(provider.GetService<IConfiguration>()?.GetSection(ConfigurationSection));
            var options = configure is null ? configured : configure(configured);
            return new FileServerHost(options, provider.GetService<ILoggerFactory>());
        });
        services.AddHostedService(provider => new FileServerHostedService(provider.GetRequiredService<FileServerHost>()));
        return services;
    }

    private static FileServerOptions FromConfiguration(IConfigurationSection? section)
    {
        // The root has no default a service could guess well: "." is where the process happens to start.
        var options = new FileServerOptions { Root = section?["Root"] ?? "." };
        if (section is null)
        {
            return options;
        }
        return options with
        {
            Host = section["Host"] ?? options.Host,
            Port = Parse(section, "Port", int.Parse, options.Port),
            DisableSendFile = Parse(section, "DisableSendFile", bool.Parse, options.DisableSendFile),
            DisableListing = Parse(section, "DisableListing", bool.Parse, options.DisableListing),
            AllowDotfiles = Parse(section, "AllowDotfiles", bool.Parse, options.AllowDotfiles),
            FollowSymlinks = Parse(section, "FollowSymlinks", bool.Parse, options.FollowSymlinks),
            CacheControl = section["CacheControl"] ?? options.CacheControl,
            ShutdownTimeout = Parse(section, "ShutdownTimeout", text => TimeSpan.Parse(text, CultureInfo.InvariantCulture), options.ShutdownTimeout),
        };
    }

    private static T Parse<T>(IConfigurationSection section, string key, Func<string, T> parse, T fallback)
    {
        var text = section[key];
        if (text is null)
        {
            return fallback;
        }
        try
        {
            return parse(text);
        }
        catch (FormatException e)
        {
            throw new StartupException($"configuration {section.Path}:{key} = '{text}' is not valid: {e.Message}", e);
        }
    }
}
