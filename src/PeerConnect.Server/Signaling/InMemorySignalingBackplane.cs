namespace PeerConnect.Server.Signaling;

/// <summary>The single-process backplane: a delivery goes straight to the local hub.</summary>
internal sealed class InMemorySignalingBackplane : ISignalingBackplane
{
    private Func<SignalingDelivery, ValueTask>? _handler;

    public ValueTask PublishAsync(SignalingDelivery delivery, CancellationToken cancellationToken) =>
        _handler?.Invoke(delivery) ?? ValueTask.CompletedTask;

    public IDisposable Subscribe(Func<SignalingDelivery, ValueTask> handler)
    {
        if (Interlocked.CompareExchange(ref _handler, handler, null) is not null)
        {
            throw new InvalidOperationException("The in-memory backplane serves one hub.");
        }

        return new Subscription(this);
    }

    private sealed class Subscription(InMemorySignalingBackplane owner) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref owner._handler, null);
    }
}
