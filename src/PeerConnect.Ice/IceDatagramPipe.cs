using System.Buffers;
using System.Net;
using System.Threading.Channels;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Ice;

/// <summary>
/// The selected candidate pair as one datagram pipe for the layers above (DTLS, SRTP, SCTP): sends go out on
/// whichever pair is selected now, and DTLS and RTP/RTCP datagrams (RFC 7983) from the peer come back here.
/// Safe for one reader and concurrent senders.
/// </summary>
public sealed class IceDatagramPipe
{
    private readonly Channel<Packet> _inbound;
    private volatile Route? _route;

    internal IceDatagramPipe(int capacity)
    {
        _inbound = Channel.CreateBounded<Packet>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            dropped => ArrayPool<byte>.Shared.Return(dropped.Buffer));
    }

    /// <summary>Whether a selected pair with consent is available to send on.</summary>
    public bool CanSend => _route is not null;

    /// <summary>Sends one datagram to the peer on the selected pair.</summary>
    /// <param name="datagram">A DTLS or RTP/RTCP datagram.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <exception cref="IceNotConnectedException">No pair is selected, or consent was lost (RFC 7675 §5.1).</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
    {
        var route = _route ?? throw new IceNotConnectedException();
        return route.Transport.SendAsync(datagram, route.Remote, cancellationToken);
    }

    /// <summary>Waits for the next datagram from the peer.</summary>
    /// <param name="buffer">Receives the payload; a longer datagram is truncated.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ChannelClosedException">The agent was closed.</exception>
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var packet = await _inbound.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        int count = Math.Min(packet.Count, buffer.Length);
        packet.Buffer.AsSpan(0, count).CopyTo(buffer.Span);
        ArrayPool<byte>.Shared.Return(packet.Buffer);
        return count;
    }

    internal void SetRoute(IDatagramTransport? transport, IPEndPoint? remote) =>
        _route = transport is null || remote is null ? null : new Route(transport, remote);

    internal void Deliver(ReadOnlySpan<byte> datagram)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(datagram.Length);
        datagram.CopyTo(buffer);
        if (!_inbound.Writer.TryWrite(new Packet(buffer, datagram.Length)))
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal void Complete() => _inbound.Writer.TryComplete();

    private sealed record Route(IDatagramTransport Transport, IPEndPoint Remote);

    private readonly record struct Packet(byte[] Buffer, int Count);
}
