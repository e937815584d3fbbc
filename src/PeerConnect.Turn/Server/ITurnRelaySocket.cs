using System.Net.Sockets;

namespace PeerConnect.Turn.Server;

/// <summary>One received peer datagram: its length in the caller's buffer and who sent it.</summary>
/// <param name="Count">Bytes written into the buffer.</param>
/// <param name="Peer">The sender.</param>
public readonly record struct TurnRelayReceiveResult(int Count, TurnAddress Peer);

/// <summary>
/// A relayed transport address (RFC 8656 §2): the socket an allocation sends to and receives from peers on.
/// One reader (the allocation's relay loop); sends may come from any thread.
/// </summary>
public interface ITurnRelaySocket : IDisposable
{
    /// <summary>The bound address and port.</summary>
    TurnAddress LocalAddress { get; }

    /// <summary>Sends one datagram to a peer; false when the socket refused it.</summary>
    /// <param name="datagram">The application data.</param>
    /// <param name="peer">The destination.</param>
    /// <param name="dontFragment">Set the IPv4 DF bit (RFC 8656 §11.2 DONT-FRAGMENT).</param>
    bool Send(ReadOnlySpan<byte> datagram, TurnAddress peer, bool dontFragment);

    /// <summary>Waits for the next datagram from a peer.</summary>
    ValueTask<TurnRelayReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);
}

/// <summary>Opens relay sockets within the configured port range.</summary>
public interface ITurnRelaySocketFactory
{
    /// <summary>
    /// Binds a relay socket of <paramref name="family"/>. <paramref name="port"/> 0 picks any free port in the range;
    /// otherwise exactly that port (a RESERVATION-TOKEN's). <paramref name="evenPort"/> asks for an even port
    /// (RFC 8656 §7.2 EVEN-PORT) and <paramref name="reserveNext"/> also holds port + 1, returned through
    /// <paramref name="reserved"/>.
    /// </summary>
    /// <returns>The socket, or null when no port is free (the caller answers 508).</returns>
    ITurnRelaySocket? Bind(AddressFamily family, int port, bool evenPort, bool reserveNext, out ITurnRelaySocket? reserved);

    /// <summary>True when sockets of <paramref name="family"/> can be opened (else 440, RFC 8656 §7.2).</summary>
    bool Supports(AddressFamily family);
}
