using System.Net;
using PeerConnect.Stun.Client;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Turn.Client;

/// <summary>
/// The relayed transport address of a <see cref="TurnClient"/> as a datagram pipe: what the ICE agent gathers as a
/// relay candidate and runs checks through. Sending to a peer installs its permission on first use (the first
/// datagram waits for it), then goes out as a Send indication until a channel is bound, then as ChannelData.
/// Receiving yields the data of Data indications and ChannelData with the peer's address as the sender.
/// </summary>
/// <remarks>Once a peer has its permission, sends and receives allocate nothing per datagram.</remarks>
public sealed class TurnRelayTransport : IDatagramTransport
{
    private readonly TurnClient _client;

    internal TurnRelayTransport(TurnClient client)
    {
        _client = client;
    }

    /// <summary>The XOR-RELAYED-ADDRESS of the allocation.</summary>
    /// <exception cref="InvalidOperationException">The client has not allocated yet.</exception>
    public IPEndPoint LocalEndPoint =>
        _client.Allocation?.RelayedEndPoint ?? throw new InvalidOperationException("The TURN client has no allocation yet.");

    /// <summary>The client that owns the allocation.</summary>
    public TurnClient Client => _client;

    /// <summary>Relays one datagram to <paramref name="remote"/>.</summary>
    /// <param name="datagram">The payload, at most 65,535 bytes.</param>
    /// <param name="remote">The peer, an <see cref="IPEndPoint"/> of the relayed address's family.</param>
    /// <param name="cancellationToken">Cancels the send (and the wait for a first permission).</param>
    /// <exception cref="StunErrorResponseException">The server refused the peer's permission, e.g. 403.</exception>
    /// <exception cref="TurnAllocationLostException">The allocation is gone.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken = default) =>
        _client.SendToPeerAsync(datagram, remote, cancellationToken);

    /// <summary>Waits for the next datagram relayed from a peer.</summary>
    /// <param name="buffer">Receives the payload; a longer datagram is truncated.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TurnAllocationLostException">The allocation is gone.</exception>
    public ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _client.ReceiveFromPeerAsync(buffer, cancellationToken);

    /// <summary>Releases the allocation and closes the client.</summary>
    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
