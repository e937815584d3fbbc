using System.Net;
using System.Net.Sockets;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Stun.Server;

/// <summary>
/// Takes every packet the STUN server does not answer itself: STUN requests and indications of methods other than
/// Binding, and ChannelData (first byte 0x40–0x4F, RFC 7983 §7, RFC 8656 §12.4). This is the seam TURN plugs into:
/// unlike <see cref="IStunMethodHandler"/> it sees indications and ChannelData, learns when a TCP/TLS connection
/// closes, and can send to the client later through the <see cref="StunClientLink"/> the packet came on.
/// </summary>
/// <remarks>Called on a receive loop or connection loop: it must not block.</remarks>
public interface IStunPacketHandler
{
    /// <summary>Handles one packet.</summary>
    /// <param name="link">The UDP socket or the TCP/TLS connection it arrived on.</param>
    /// <param name="remoteAddress">The client's address, 4 or 16 bytes.</param>
    /// <param name="remotePort">The client's port.</param>
    /// <param name="packet">One whole message (over streams, the frame with its padding).</param>
    /// <param name="response">Buffer for a response.</param>
    /// <returns>The length of the response written into <paramref name="response"/>, or 0 to send nothing.</returns>
    int HandlePacket(StunClientLink link, ReadOnlySpan<byte> remoteAddress, int remotePort, ReadOnlySpan<byte> packet, Span<byte> response);

    /// <summary>A TCP or TLS connection closed; nothing more will arrive on or be sent through <paramref name="link"/>.</summary>
    void LinkClosed(StunClientLink link);
}

/// <summary>
/// A UDP socket or a TCP/TLS connection of the STUN server, as handed to an <see cref="IStunPacketHandler"/>: the
/// way back to clients for messages that are not responses (TURN Data indications and ChannelData).
/// </summary>
public abstract class StunClientLink
{
    private static long s_nextId;
    private volatile bool _exemptFromIdleTimeout;

    private protected StunClientLink(StunTransportProtocol transport)
    {
        Transport = transport;
        Id = Interlocked.Increment(ref s_nextId);
    }

    /// <summary>Unique among the links of this process.</summary>
    public long Id { get; }

    /// <summary>UDP, TCP or TLS.</summary>
    public StunTransportProtocol Transport { get; }

    /// <summary>The handler's own state for this link (set once, read per packet), so it need not keep a table.</summary>
    public object? HandlerState { get; set; }

    /// <summary>
    /// Set by the handler when a TCP/TLS connection carries state with a lifetime of its own (a TURN allocation, whose
    /// control connection may stay quiet while data flows elsewhere, RFC 6062): the listener then stops closing it
    /// for <see cref="StunServerOptions.StreamIdleTimeout"/>. Cleared when that state ends: the timeout applies again,
    /// counted from then, to the read already waiting too. Ignored on UDP.
    /// </summary>
    public bool ExemptFromIdleTimeout
    {
        get => _exemptFromIdleTimeout;
        set
        {
            _exemptFromIdleTimeout = value;
            OnIdleExemptionChanged(value);
        }
    }

    /// <summary>Sends one message. Never throws: false means it was not sent.</summary>
    /// <param name="message">The bytes.</param>
    /// <param name="remote">The client, for UDP; a connection ignores it.</param>
    public abstract bool Send(ReadOnlySpan<byte> message, SocketAddress remote);

    /// <summary>
    /// Hands a TCP/TLS connection over to the handler (TURN ConnectionBind, RFC 6062 §5.4): once the response to the
    /// packet being handled is written, the listener stops reading STUN frames from the connection and runs
    /// <paramref name="takeOver"/> with its stream; the connection closes when the returned task ends. Call it only
    /// from <see cref="IStunPacketHandler.HandlePacket"/>, at most once per connection.
    /// </summary>
    /// <param name="takeOver">Owns the stream until it completes; the token is set when the server stops.</param>
    /// <returns>False on UDP, or when the connection was already handed over.</returns>
    public virtual bool HandOff(Func<Stream, CancellationToken, Task> takeOver) => false;

    /// <summary>A connection re-times the read it is waiting on; UDP has no idle timeout.</summary>
    private protected virtual void OnIdleExemptionChanged(bool exempt)
    {
    }
}

/// <summary>A link over one UDP socket: sends go to the address given.</summary>
internal sealed class UdpClientLink(Socket socket) : StunClientLink(StunTransportProtocol.Udp)
{
    public override bool Send(ReadOnlySpan<byte> message, SocketAddress remote)
    {
        try
        {
            return socket.SendTo(message, SocketFlags.None, remote) == message.Length;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }
}

/// <summary>
/// A link over one TCP/TLS connection: responses and relayed data share the stream, one write at a time. It also keeps
/// the idle deadline of the read the listener is waiting on, so a handler changing the exemption re-times that read.
/// </summary>
internal sealed class StreamClientLink(Stream stream, StunTransportProtocol transport, TimeSpan idleTimeout, TimeProvider time) : StunClientLink(transport)
{
    private readonly Lock _writeLock = new();
    private readonly Lock _idleLock = new();
    private Func<Stream, CancellationToken, Task>? _takeOver;
    private CancellationTokenSource? _idle;

    /// <summary>
    /// A token for the listener's next read, cancelled when the connection stays quiet for the idle timeout, unless it
    /// is exempt. Pair each call with <see cref="EndIdleWait"/>.
    /// </summary>
    public CancellationToken BeginIdleWait()
    {
        lock (_idleLock)
        {
            _idle = new CancellationTokenSource(ExemptFromIdleTimeout ? Timeout.InfiniteTimeSpan : idleTimeout, time);
            return _idle.Token;
        }
    }

    /// <summary>The read finished (or failed): its deadline goes.</summary>
    public void EndIdleWait()
    {
        lock (_idleLock)
        {
            _idle?.Dispose();
            _idle = null;
        }
    }

    public override bool Send(ReadOnlySpan<byte> message, SocketAddress remote) => Write(message);

    public override bool HandOff(Func<Stream, CancellationToken, Task> takeOver)
    {
        ArgumentNullException.ThrowIfNull(takeOver);
        return Interlocked.CompareExchange(ref _takeOver, takeOver, null) is null;
    }

    /// <summary>The handler that asked for the connection, if one did; the listener's loop reads it after each response.</summary>
    public Func<Stream, CancellationToken, Task>? TakeOver => Volatile.Read(ref _takeOver);

    private protected override void OnIdleExemptionChanged(bool exempt)
    {
        lock (_idleLock)
        {
            // The waiting read took its deadline under the old rule (an allocation usually ends while the control
            // connection is quiet): it gets the new one, counted from now.
            _idle?.CancelAfter(exempt ? Timeout.InfiniteTimeSpan : idleTimeout);
        }
    }

    public bool Write(ReadOnlySpan<byte> message)
    {
        lock (_writeLock)
        {
            try
            {
                stream.Write(message);
                return true;
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or NotSupportedException)
            {
                return false;
            }
        }
    }
}
