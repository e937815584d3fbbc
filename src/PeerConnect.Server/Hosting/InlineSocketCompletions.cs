namespace PeerConnect.Server.Hosting;

/// <summary>
/// Runs socket continuations on the threads that poll the sockets (configuration key <c>PeerConnect:Sockets:InlineCompletions</c>,
/// default on). .NET hands each completed socket operation to the thread pool unless
/// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>; the runtime reads that variable once, when the first socket
/// is polled, so the server sets it before it opens any. With it a signal is read, routed and written on one thread, as
/// Node does: at 1,000 relayed signals/s on two cores it took the CPU per signal from 91–118 µs to 61–68 µs and the
/// p99 under the PeerJS server's (docs/benchmarks.md, "Signaling at scale"). The variable, when set in the
/// environment, wins over the configuration either way.
/// </summary>
internal static class InlineSocketCompletions
{
    public const string ConfigurationKey = "PeerConnect:Sockets:InlineCompletions";

    internal const string EnvironmentVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static void Apply(IConfiguration configuration)
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is null && configuration.GetValue(ConfigurationKey, defaultValue: true))
        {
            Environment.SetEnvironmentVariable(EnvironmentVariable, "1");
        }
    }
}
