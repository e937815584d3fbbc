using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PeerConnect.Server.Signaling.Redis;

namespace PeerConnect.Server.Signaling;

/// <summary>Registers WebSocket signaling and its HTTP APIs (configuration section <c>PeerConnect:Signaling</c>).</summary>
internal static class SignalingHostingExtensions
{
    private static readonly JsonSerializerOptions IceServerJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static IServiceCollection AddPeerConnectSignaling(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SignalingOptions>()
            .Bind(configuration.GetSection(SignalingOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SignalingOptions>, SignalingOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        // Decided when first resolved: test hosts layer their settings over the configuration after this runs.
        services.TryAddSingleton<ISignalingBackplane>(sp => sp.GetRequiredService<IOptions<SignalingOptions>>().Value.Redis is null
            ? new InMemorySignalingBackplane()
            : ActivatorUtilities.CreateInstance<RedisSignalingBackplane>(sp));
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("signaling-redis");
        services.AddSingleton<SignalingMetrics>();
        services.AddSingleton<SignalingAuthenticator>();
        services.AddSingleton<IceServerProvider>();
        services.AddSingleton<SignalingHub>();
        services.AddHostedService(sp => sp.GetRequiredService<SignalingHub>());
        services.AddSingleton<SignalingHeartbeat>();
        services.AddSingleton<SignalingEndpoint>();
        services.AddSingleton<SignalingWebSocketListener>();
        services.AddHostedService(sp => sp.GetRequiredService<SignalingWebSocketListener>());
        return services;
    }

    public static WebApplication MapPeerConnectSignaling(this WebApplication app)
    {
        app.UseWebSockets();
        app.Map("/ws", (HttpContext context, SignalingEndpoint endpoint) => endpoint.HandleAsync(context));
        app.MapGet("/api/ice-servers", async (HttpContext context, SignalingAuthenticator authenticator, IceServerProvider iceServers) =>
        {
            var principal = await authenticator.AuthenticateAsync(context.Request).ConfigureAwait(false);
            return principal is null
                ? Results.Unauthorized()
                : Results.Json(iceServers.For(principal.UserId ?? "anonymous", context.Request.Host), IceServerJson);
        });
        return app;
    }
}
