namespace PeerConnect.Server.Stun;

/// <summary>Registers the STUN/TURN listener (configuration section <c>PeerConnect:Turn</c>).</summary>
internal static class StunHostingExtensions
{
    public static IServiceCollection AddPeerConnectStun(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TurnListenerOptions>()
            .Bind(configuration.GetSection(TurnListenerOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<TurnListenerOptions>, TurnListenerOptionsValidator>();
        services.AddSingleton<StunListenerService>();
        services.AddHostedService(sp => sp.GetRequiredService<StunListenerService>());
        return services;
    }
}
