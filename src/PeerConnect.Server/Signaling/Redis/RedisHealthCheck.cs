using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PeerConnect.Server.Signaling.Redis;

/// <summary>Unhealthy while the shared signaling store is unreachable: this server then admits no new joins.</summary>
internal sealed class RedisHealthCheck(ISignalingBackplane backplane) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(backplane is ISharedSignalingBackplane { IsAvailable: false }
            ? HealthCheckResult.Unhealthy("The shared signaling store (Redis) is unreachable.")
            : HealthCheckResult.Healthy());
}
