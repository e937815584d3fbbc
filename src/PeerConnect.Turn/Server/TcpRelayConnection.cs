using System.Buffers;
using System.Net.Sockets;

namespace PeerConnect.Turn.Server;

/// <summary>
/// One peer data connection of a TCP allocation (RFC 6062 §2, §5): made by a Connect or accepted on the relayed
/// address, pending until a ConnectionBind names its CONNECTION-ID, then piped byte for byte to that client data
/// connection. Closing either side closes the other (§5.5).
/// </summary>
/// <remarks>
/// Until it is bound nothing reads the peer socket: what the peer sends waits in the kernel and TCP flow control
/// holds the peer back, which is the buffering §5.2 and §5.3 ask for. Both pipe directions await their writes, so a
/// slow reader on either side slows the other down instead of growing a queue. The allocation's bandwidth budget
/// (<see cref="TurnServerOptions.BandwidthLimitBytesPerSecond"/>) works the same way: bytes over it are held until the
/// budget covers them, and the next read waits with them, so TCP flow control slows the sender; nothing is dropped.
/// </remarks>
internal sealed class TcpRelayConnection
{
    private const int StateConnecting = 0;
    private const int StatePending = 1;
    private const int StateBound = 2;
    private const int StateClosed = 3;
    private const int PipeBufferLength = 16 * 1024;

    private readonly CancellationTokenSource _closing = new();
    private int _state;
    private Socket? _peer;
    private ITimer? _bindTimer;

    private readonly TurnServerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly Action<TcpRelayConnection> _onClosed;

    /// <summary><paramref name="onClosed"/> is called once, when the connection closes (the server drops it from its table).</summary>
    public TcpRelayConnection(uint id, TurnAllocation allocation, TcpRelay relay, TurnAddress peer, bool fromConnect, TurnServerMetrics metrics, TimeProvider time, Action<TcpRelayConnection> onClosed)
    {
        _metrics = metrics;
        _time = time;
        _onClosed = onClosed;
        Id = id;
        Allocation = allocation;
        Relay = relay;
        Peer = peer;
        FromConnect = fromConnect;
    }

    /// <summary>CONNECTION-ID (RFC 6062 §6.2.1).</summary>
    public uint Id { get; }

    public TurnAllocation Allocation { get; }

    public TcpRelay Relay { get; }

    public TurnAddress Peer { get; }

    /// <summary>True for a connection the client asked for with Connect; false for one a peer opened.</summary>
    public bool FromConnect { get; }

    /// <summary>Set when the connection closes; a Connect in progress stops on it.</summary>
    public CancellationToken ClosingToken => _closing.Token;

    /// <summary>The peer socket is connected: wait for ConnectionBind, closing after <paramref name="bindTimeout"/> (§5.2, §5.3).</summary>
    /// <returns>False when the connection was closed meanwhile (the socket is then disposed).</returns>
    public bool BecomePending(Socket peer, TimeSpan bindTimeout)
    {
        _peer = peer;
        _bindTimer = _time.CreateTimer(static state => ((TcpRelayConnection)state!).BindTimedOut(), this, bindTimeout, Timeout.InfiniteTimeSpan);
        if (Interlocked.CompareExchange(ref _state, StatePending, StateConnecting) != StateConnecting)
        {
            _bindTimer.Dispose();
            peer.Dispose();
            return false;
        }
        _metrics.TcpConnectionOpened(FromConnect);
        return true;
    }

    /// <summary>ConnectionBind: pending → bound. False when it is not pending (still connecting, bound already, or closed).</summary>
    public bool TryBind()
    {
        if (Interlocked.CompareExchange(ref _state, StateBound, StatePending) != StatePending)
        {
            return false;
        }
        _bindTimer?.Dispose();
        return true;
    }

    /// <summary>Closes the peer socket and removes the connection from its relay. Safe to call more than once.</summary>
    public void Close()
    {
        int previous = Interlocked.Exchange(ref _state, StateClosed);
        if (previous == StateClosed)
        {
            return;
        }
        if (previous != StateConnecting)
        {
            _metrics.TcpConnectionClosed();
        }
        _bindTimer?.Dispose();
        _closing.Cancel();
        _peer?.Dispose();
        Relay.Remove(this);
        _onClosed(this);
    }

    /// <summary>
    /// Relays between the client data connection and the peer until either ends or the server stops, then closes the
    /// peer side (the caller's listener closes the client side when this returns).
    /// </summary>
    public async Task PipeAsync(Stream client, CancellationToken serverStopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token, serverStopping);
        var peer = new NetworkStream(_peer!, ownsSocket: false);
        await using (peer.ConfigureAwait(false))
        {
            var toPeer = CopyAsync(client, peer, toPeer: true, linked.Token);
            var toClient = CopyAsync(peer, client, toPeer: false, linked.Token);
            await Task.WhenAny(toPeer, toClient).ConfigureAwait(false);
            Close();
            await Task.WhenAll(toPeer, toClient).ConfigureAwait(false);
        }
    }

    private void BindTimedOut()
    {
        if (Volatile.Read(ref _state) == StatePending)
        {
            Close();
        }
    }

    private async Task CopyAsync(Stream from, Stream to, bool toPeer, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(PipeBufferLength);
        var chunk = buffer.AsMemory(0, Math.Min(buffer.Length, Allocation.StreamReadLimit));
        try
        {
            while (true)
            {
                int read = await from.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }
                var wait = Allocation.TakeStreamBudget(read, toPeer, _time.GetTimestamp());
                if (wait > TimeSpan.Zero)
                {
                    // Over the allocation's budget: these bytes, and so the next read, wait until it covers them.
                    await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                }
                await to.WriteAsync(chunk[..read], cancellationToken).ConfigureAwait(false);
                _metrics.TcpRelayed(read, toPeer);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Either side went away, or the connection is closing: the pipe ends and the other side is closed.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
