using OpenTelemetry.Metrics;

namespace PeerConnect.Server.Hosting;

/// <summary>Health checks at <c>/healthz</c> and Prometheus metrics at <c>/metrics</c>.</summary>
internal static class ObservabilityExtensions
{
    /// <summary>Every PeerConnect meter is named <c>PeerConnect.*</c>; they are all exported.</summary>
    public const string MeterPrefix = "PeerConnect.";

    public static IServiceCollection AddPeerConnectObservability(this IServiceCollection services)
    {
        services.AddHealthChecks();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(MeterPrefix + "*")
            .AddPrometheusExporter());
        return services;
    }

    public static WebApplication MapPeerConnectObservability(this WebApplication app)
    {
        app.MapHealthChecks("/healthz");
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
