using System.Net;
using System.Net.Sockets;

namespace PeerConnect.Turn.Server;

/// <summary>
/// Binds UDP relay sockets on <see cref="TurnServerOptions.RelayAddress"/> (and <see cref="TurnServerOptions.RelayAddressV6"/>)
/// at a random port of the configured range, trying successive ports when one is taken (RFC 8656 §7.2 asks for
/// ports that are hard to guess; RFC 6056 §3.3.1 style: random start, linear probe).
/// </summary>
public sealed class UdpRelaySocketFactory : ITurnRelaySocketFactory
{
    private const int MaxAttempts = 128;

    private readonly IPAddress _v4;
    private readonly IPAddress? _v6;
    private readonly int _min;
    private readonly int _max;
    private readonly int _bufferBytes;

    /// <summary>Uses the relay addresses and port range of validated options.</summary>
    public UdpRelaySocketFactory(TurnServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _v4 = options.RelayAddress;
        _v6 = options.RelayAddressV6;
        _min = options.RelayPortMin;
        _max = options.RelayPortMax;
        _bufferBytes = options.RelaySocketBufferBytes;
    }

    /// <inheritdoc />
    public bool Supports(AddressFamily family) =>
        family == AddressFamily.InterNetwork || (family == AddressFamily.InterNetworkV6 && _v6 is not null);

    /// <inheritdoc />
    public ITurnRelaySocket? Bind(AddressFamily family, int port, bool evenPort, bool reserveNext, out ITurnRelaySocket? reserved)
    {
        reserved = null;
        var address = family == AddressFamily.InterNetworkV6 ? _v6 : _v4;
        if (address is null)
        {
            return null;
        }
        if (port != 0)
        {
            return TryBind(address, port);
        }
        int span = _max - _min + 1;
        int start = Random.Shared.Next(span);
        int step = evenPort ? 2 : 1;
        for (int attempt = 0, offset = start; attempt < Math.Min(MaxAttempts, span); attempt++, offset += step)
        {
            int candidate = _min + (offset % span);
            if (evenPort && (candidate & 1) != 0)
            {
                candidate = candidate + 1 > _max ? candidate - 1 : candidate + 1;
                if (candidate < _min)
                {
                    continue;
                }
            }
            if (TryBind(address, candidate) is not { } socket)
            {
                continue;
            }
            if (!reserveNext)
            {
                return socket;
            }
            // RFC 8656 §7.2 EVEN-PORT with R: the next-higher port is held for a later Allocate with the token.
            if (candidate < _max && TryBind(address, candidate + 1) is { } next)
            {
                reserved = next;
                return socket;
            }
            socket.Dispose();
        }
        return null;
    }

    private UdpRelaySocket? TryBind(IPAddress address, int port)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }
            Stun.Server.UdpSocketBuffers.Apply(socket, _bufferBytes);
            socket.Bind(new IPEndPoint(address, port));
            return new UdpRelaySocket(socket);
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }
}
