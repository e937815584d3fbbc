using Microsoft.Extensions.DependencyInjection.Extensions;

namespace PeerConnect.Server.Hosting;

internal static class MemoryTrimExtensions
{
    public static IServiceCollection AddPeerConnectMemoryTrim(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MemoryTrimOptions>()
            .Bind(configuration.GetSection(MemoryTrimOptions.SectionName))
            .Validate(o => o.IdleAfter >= IdleMemoryTrimmer.CheckInterval,
                $"{MemoryTrimOptions.SectionName}:IdleAfter must be at least {IdleMemoryTrimmer.CheckInterval.TotalSeconds} s.")
            .Validate(o => o.QuietAllocationRate > 0, $"{MemoryTrimOptions.SectionName}:QuietAllocationRate must be positive.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<IdleMemoryTrimmer>();
        return services;
    }
}
