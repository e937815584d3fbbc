using OpenTelemetry.Metrics;

namespace PeerConnect.Server.Hosting;

/// <summary>Health checks at <c>/healthz</c> and Prometheus metrics at <c>/metrics</c>.</summary>
internal static class ObservabilityExtensions
{
    /// <summary>Every PeerConnect meter is named <c>PeerConnect.*</c>; they are all exported.</summary>
    public const string MeterPrefix = "PeerConnect.";

    /// <summary>
    /// The runtime's own meter (GC heap and committed sizes, working set, thread pool): what tells managed memory
    /// per connection apart from the rest of the process's RSS.
    /// </summary>
    public const string RuntimeMeter = "System.Runtime";

    public static IServiceCollection AddPeerConnectObservability(this IServiceCollection services)
    {
        services.AddHealthChecks();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(MeterPrefix + "*", RuntimeMeter)
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
