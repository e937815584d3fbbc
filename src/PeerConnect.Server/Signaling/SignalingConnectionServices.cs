namespace PeerConnect.Server.Signaling;

/// <summary>
/// What every <see cref="SignalingConnection"/> shares, and the count of open connections. One instance, held by the
/// endpoint: a connection keeps one reference to it instead of one per service (ten thousand idle connections are the
/// case this server is sized for).
/// </summary>
internal sealed class SignalingConnectionServices(
    SignalingOptions options,
    SignalingHub hub,
    SignalingHeartbeat heartbeat,
    SignalingMetrics metrics,
    ILogger logger,
    TimeProvider timeProvider)
{
    private int _open;

    public SignalingOptions Options { get; } = options;

    public SignalingHub Hub { get; } = hub;

    public SignalingHeartbeat Heartbeat { get; } = heartbeat;

    public SignalingMetrics Metrics { get; } = metrics;

    public ILogger Logger { get; } = logger;

    public TimeProvider TimeProvider { get; } = timeProvider;

    /// <summary>Counts a new connection in; false, counting nothing, when <see cref="SignalingOptions.MaxConnections"/> are open.</summary>
    public bool TryOpen()
    {
        if (Interlocked.Increment(ref _open) > Options.MaxConnections)
        {
            Interlocked.Decrement(ref _open);
            return false;
        }

        Metrics.Connections.Add(1);
        return true;
    }

    /// <summary>Counts an ended connection out.</summary>
    public void Closed()
    {
        Interlocked.Decrement(ref _open);
        Metrics.Connections.Add(-1);
    }
}
