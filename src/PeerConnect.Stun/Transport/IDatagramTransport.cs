using System.Net;

namespace PeerConnect.Stun.Transport;

/// <summary>
/// A datagram pipe: what STUN transactions, the ICE agent and the TURN client need from a UDP socket.
/// A real socket (<see cref="UdpDatagramTransport"/>) and in-memory networks implement it, so protocol
/// state machines run the same over both.
/// </summary>
/// <remarks>
/// One reader at a time: callers run a single receive loop and dispatch from it.
/// Sends may be issued concurrently with the receive loop and with each other.
/// </remarks>
public interface IDatagramTransport : IAsyncDisposable
{
    /// <summary>The local address and port the transport is bound to.</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>Sends one datagram to <paramref name="remote"/>.</summary>
    /// <param name="datagram">The payload; not retained after the returned task completes.</param>
    /// <param name="remote">The destination.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken = default);

    /// <summary>Waits for the next datagram and copies it into <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Receives the payload; a longer datagram is truncated to its length.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The number of bytes written and the sender.</returns>
    ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);
}
