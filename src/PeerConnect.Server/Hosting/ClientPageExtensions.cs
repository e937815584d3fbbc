using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace PeerConnect.Server.Hosting;

/// <summary>
/// The browser call page and the <c>peerconnect.js</c> client module, served from <c>wwwroot</c> (configuration
/// section <c>PeerConnect:ClientPage</c>). <c>GET /</c> answers <c>index.html</c>; <c>/?room=NAME</c> joins a room.
/// </summary>
internal static class ClientPageExtensions
{
    public const string SectionName = "PeerConnect:ClientPage";

    public static IServiceCollection AddPeerConnectClientPage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ClientPageOptions>().Bind(configuration.GetSection(SectionName));
        return services;
    }

    public static WebApplication MapPeerConnectClientPage(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<ClientPageOptions>>().Value.Enabled)
        {
            return app;
        }

        var files = FindClientFiles(app.Environment);

        // The files are small and change with every release: browsers revalidate (ETag) instead of running stale modules.
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".js"] = "text/javascript; charset=utf-8";
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            ContentTypeProvider = types,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.CacheControl = "no-cache";
                headers[HeaderNames.XContentTypeOptions] = "nosniff";
            },
        });
        return app;
    }

    /// <summary>
    /// The web root when it holds the page (running from the project or a publish folder), else the <c>wwwroot</c>
    /// copied beside the binary (running a build output from another working directory).
    /// </summary>
    private static IFileProvider FindClientFiles(IWebHostEnvironment environment)
    {
        if (environment.WebRootFileProvider.GetFileInfo("index.html").Exists)
        {
            return environment.WebRootFileProvider;
        }

        var beside = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        return Directory.Exists(beside) ? new PhysicalFileProvider(beside) : environment.WebRootFileProvider;
    }
}

/// <summary>Settings of the served browser client.</summary>
internal sealed class ClientPageOptions
{
    /// <summary>Whether <c>GET /</c> serves the call page and <c>/peerconnect.js</c> the client module. Default <see langword="true"/>.</summary>
    public bool Enabled { get; set; } = true;
}
