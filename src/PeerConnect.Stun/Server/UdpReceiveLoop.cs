using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Stun.Server;

/// <summary>
/// One UDP receive loop: receive, process, respond, with buffers and socket addresses reused across packets so a
/// steady stream of Binding requests allocates nothing. A bad packet or a failed send never ends the loop.
/// </summary>
internal sealed class UdpReceiveLoop
{
    private readonly Socket _socket;
    private readonly UdpSocketGroup _group;
    private readonly IReadOnlyList<UdpSocketGroup>? _quartet;
    private readonly StunRequestProcessor _processor;
    private readonly StunServerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly byte[] _receiveBuffer;
    private readonly byte[] _sendBuffer;
    private readonly byte[] _remoteAddress = new byte[16];
    private readonly SocketAddress _remote;
    private readonly SocketAddress _redirected;
    private readonly UdpClientLink _link;

    /// <param name="socket">The socket this loop reads.</param>
    /// <param name="group">The socket's group (its endpoint and listener view).</param>
    /// <param name="quartet">For RFC 5780, the four groups indexed [ip * 2 + port], to answer CHANGE-REQUEST from another one.</param>
    /// <param name="ipIndex">This group's IP index in <paramref name="quartet"/> (0 primary, 1 alternate).</param>
    /// <param name="portIndex">This group's port index in <paramref name="quartet"/>.</param>
    /// <param name="processor">The server core.</param>
    /// <param name="metrics">Counters.</param>
    /// <param name="logger">Logging.</param>
    /// <param name="maxMessageLength">Buffer size.</param>
    public UdpReceiveLoop(
        Socket socket,
        UdpSocketGroup group,
        IReadOnlyList<UdpSocketGroup>? quartet,
        int ipIndex,
        int portIndex,
        StunRequestProcessor processor,
        StunServerMetrics metrics,
        ILogger logger,
        int maxMessageLength)
    {
        _socket = socket;
        _group = group;
        _quartet = quartet;
        IpIndex = ipIndex;
        PortIndex = portIndex;
        _processor = processor;
        _metrics = metrics;
        _logger = logger;
        // One spare byte: a datagram that fills it is longer than the limit and is dropped, not truncated into a parse.
        _receiveBuffer = new byte[maxMessageLength + 1];
        _sendBuffer = new byte[maxMessageLength];
        _remote = new SocketAddress(socket.AddressFamily);
        _redirected = new SocketAddress(socket.AddressFamily);
        _link = new UdpClientLink(socket);
    }

    private int IpIndex { get; }

    private int PortIndex { get; }

    /// <summary>
    /// Runs on a dedicated thread with blocking receive and send: for one small datagram in and one out, a blocked
    /// thread costs less than an asynchronous completion and a thread-pool hop per packet. Closing the socket ends it.
    /// With TURN on the socket, relay threads also send on it; UDP sends from several threads need no coordination.
    /// </summary>
    public void Run(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            int received;
            try
            {
                received = _socket.ReceiveFrom(_receiveBuffer, SocketFlags.None, _remote);
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException && cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                OnReceiveError(e);
                continue;
            }

            if (!TryRespond(received, out var from, out var to, out int length))
            {
                continue;
            }
            try
            {
                from.SendTo(_sendBuffer.AsSpan(0, length), SocketFlags.None, to);
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException && cancellationToken.IsCancellationRequested)
            {
            }
            catch (SocketException e)
            {
                OnSendError(e);
            }
        }
    }

    private void OnReceiveError(SocketException e)
    {
        // An ICMP error about an earlier response, or an oversized datagram: one packet's problem.
        if (e.SocketErrorCode == SocketError.MessageSize)
        {
            _metrics.Malformed(StunTransportProtocol.Udp);
        }
        else if (e.SocketErrorCode is not (SocketError.ConnectionReset or SocketError.ConnectionRefused))
        {
            StunServerLog.ReceiveError(_logger, e, StunTransportProtocol.Udp, _group.LocalEndPoint);
        }
    }

    private void OnSendError(SocketException e)
    {
        _metrics.SendFailure(StunTransportProtocol.Udp);
        StunServerLog.SendFailed(_logger, e, StunTransportProtocol.Udp);
    }

    /// <summary>Processes one datagram; true with the socket, destination and length of a response to send.</summary>
    private bool TryRespond(int received, out Socket from, out SocketAddress to, out int length)
    {
        from = _socket;
        to = _remote;
        length = 0;
        if (received > _sendBuffer.Length
            || !SocketAddressBytes.TryRead(_remote, _remoteAddress, out int addressLength, out int port))
        {
            _metrics.Malformed(StunTransportProtocol.Udp);
            return false;
        }
        var outcome = _processor.Process(_receiveBuffer.AsSpan(0, received), _remoteAddress.AsSpan(0, addressLength), port, _group.View, _sendBuffer, _link);
        if (outcome.Kind != StunOutcomeKind.Respond)
        {
            return false;
        }

        if ((outcome.ChangeIp || outcome.ChangePort) && _quartet is not null)
        {
            int ip = IpIndex ^ (outcome.ChangeIp ? 1 : 0);
            int portIndex = PortIndex ^ (outcome.ChangePort ? 1 : 0);
            from = _quartet[(ip * 2) + portIndex].SendSocket;
        }
        if (outcome.ResponsePort != 0)
        {
            SocketAddressBytes.CopyWithPort(_remote, _redirected, outcome.ResponsePort);
            to = _redirected;
        }
        length = outcome.Length;
        return true;
    }
}
