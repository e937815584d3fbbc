namespace PeerConnect.Server.Signaling;

/// <summary>The single-process backplane: a delivery goes straight to the local hub.</summary>
internal sealed class InMemorySignalingBackplane : ISignalingBackplane
{
    private Action<HubCommand>? _post;

    public ValueTask PublishAsync(SignalingDelivery delivery, CancellationToken cancellationToken)
    {
        _post?.Invoke(new DeliverCommand(delivery));
        return ValueTask.CompletedTask;
    }

    public IDisposable Subscribe(Action<HubCommand> post)
    {
        if (Interlocked.CompareExchange(ref _post, post, null) is not null)
        {
            throw new InvalidOperationException("The in-memory backplane serves one hub.");
        }

        return new Subscription(this);
    }

    private sealed class Subscription(InMemorySignalingBackplane owner) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref owner._post, null);
    }
}
