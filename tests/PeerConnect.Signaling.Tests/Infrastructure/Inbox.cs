using PeerConnect.Signaling.Client;
using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Signaling.Tests.Infrastructure;

/// <summary>One <see cref="SignalingClient.ReadAllAsync"/> reader kept open across a test.</summary>
public sealed class Inbox : IAsyncDisposable
{
    private readonly IAsyncEnumerator<SignalingMessage> _messages;

    public Inbox(SignalingClient client) => _messages = client.ReadAllAsync().GetAsyncEnumerator();

    /// <summary>The next message of type <typeparamref name="T"/>, skipping answers to this client's own requests.</summary>
    public async Task<T> NextAsync<T>()
        where T : SignalingMessage
    {
        while (true)
        {
            Assert.True(await _messages.MoveNextAsync().AsTask().WaitAsync(Timeouts.Generous), "The client closed.");
            if (_messages.Current is T wanted)
            {
                return wanted;
            }

            Assert.True(_messages.Current is JoinedMessage or LeftMessage, $"Unexpected {_messages.Current}");
        }
    }

    public ValueTask DisposeAsync() => _messages.DisposeAsync();
}
