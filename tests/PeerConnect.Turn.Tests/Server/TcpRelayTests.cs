using System.Net;
using System.Net.Sockets;
using PeerConnect.Stun;
using PeerConnect.Turn.Server;

namespace PeerConnect.Turn.Tests.Server;

/// <summary>TCP allocations (RFC 6062 §5): Allocate, Connect, ConnectionAttempt, ConnectionBind and their error codes.</summary>
public sealed class TcpRelayTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task TcpAllocateOverUdpGets400()
    {
        await using var h = new TurnServerHarness();
        Assert.Equal(StunErrorCodes.BadRequest, AllocateTcp(h).ErrorCode);
    }

    [Theory]
    [InlineData(StunAttributeType.DontFragment)]
    [InlineData(StunAttributeType.EvenPort)]
    [InlineData(StunAttributeType.ReservationToken)]
    public async Task TcpAllocateWithAUdpOnlyAttributeGets400(StunAttributeType attribute)
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        var response = AllocateTcp(h, (ref StunMessageWriter w) =>
        {
            switch (attribute)
            {
                case StunAttributeType.DontFragment:
                    w.WriteFlag(StunAttributeType.DontFragment);
                    break;
                case StunAttributeType.EvenPort:
                    w.WriteEvenPort(reserveNext: false);
                    break;
                default:
                    w.WriteUInt64(StunAttributeType.ReservationToken, 42);
                    break;
            }
        });
        Assert.Equal(StunErrorCodes.BadRequest, response.ErrorCode);
    }

    [Fact]
    public async Task TcpAllocateWhenTcpRelayIsOffGets442()
    {
        await using var h = new TurnServerHarness(configure: o => o with { AllowTcpRelay = false }, transport: TurnClientTransport.Tcp);
        Assert.Equal(StunErrorCodes.UnsupportedTransportProtocol, AllocateTcp(h).ErrorCode);
    }

    [Fact]
    public async Task TcpAllocateListensOnTheRelayedAddress()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        var response = AllocateTcp(h);
        Assert.True(response.IsSuccess);
        var relayed = response.RelayedAddress().ToEndPoint();
        Assert.Equal(IPAddress.Loopback, relayed.Address);
        Assert.Empty(h.Relays.Sockets);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(relayed).WaitAsync(Patience);
    }

    [Fact]
    public async Task ConnectWithoutAllocationGets437()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        Assert.Equal(StunErrorCodes.AllocationMismatch, Connect(h, TurnServerHarness.Peer)!.ErrorCode);
    }

    [Fact]
    public async Task ConnectOnAUdpAllocationGets400()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        Assert.True(h.Allocate().IsSuccess);
        Assert.Equal(StunErrorCodes.BadRequest, Connect(h, TurnServerHarness.Peer)!.ErrorCode);
    }

    [Fact]
    public async Task ConnectWithoutPeerAddressGets400()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        Assert.True(AllocateTcp(h).IsSuccess);
        Assert.Equal(StunErrorCodes.BadRequest, h.Request(StunMethod.Connect).ErrorCode);
    }

    [Fact]
    public async Task ConnectToADeniedPeerGets403()
    {
        await using var h = new TurnServerHarness(configure: o => o with { AllowLoopbackPeers = false }, transport: TurnClientTransport.Tcp);
        Assert.True(AllocateTcp(h).IsSuccess);
        Assert.Equal(StunErrorCodes.Forbidden, Connect(h, TurnServerHarness.Peer)!.ErrorCode);
    }

    [Fact]
    public async Task ConnectToAClosedPortGets447()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        Assert.True(AllocateTcp(h).IsSuccess);
        // A port just released: the connection is refused at once.
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var address = TurnAddress.FromEndPoint((IPEndPoint)closed.LocalEndpoint);
        closed.Stop();
        Assert.Null(Connect(h, address));
        var result = new Response(await h.Link.NextAsync());
        Assert.Equal(StunErrorCodes.ConnectionTimeoutOrFailure, result.ErrorCode);
    }

    [Fact]
    public async Task ConnectSucceedsWithAConnectionIdFromTheRelayedAddress()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        using var peer = new TcpPeer();
        var relayed = AllocateTcp(h).RelayedAddress().ToEndPoint();
        uint id = await ConnectAsync(h, peer.Address);
        Assert.NotEqual(0u, id);
        using var accepted = await peer.AcceptAsync();
        // RFC 6062 §5.2: the connection comes from the relayed transport address itself.
        Assert.Equal(relayed, accepted.RemoteEndPoint);
    }

    [Fact]
    public async Task SecondConnectToTheSamePeerGets446()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        using var peer = new TcpPeer();
        Assert.True(AllocateTcp(h).IsSuccess);
        await ConnectAsync(h, peer.Address);
        Assert.Equal(StunErrorCodes.ConnectionAlreadyExists, Connect(h, peer.Address)!.ErrorCode);
    }

    [Fact]
    public async Task ConnectBeyondTheConnectionLimitGets508()
    {
        await using var h = new TurnServerHarness(configure: o => o with { MaxTcpConnectionsPerAllocation = 1 }, transport: TurnClientTransport.Tcp);
        using var first = new TcpPeer();
        using var second = new TcpPeer();
        Assert.True(AllocateTcp(h).IsSuccess);
        await ConnectAsync(h, first.Address);
        Assert.Equal(StunErrorCodes.InsufficientCapacity, Connect(h, second.Address)!.ErrorCode);
    }

    [Fact]
    public async Task ConnectionBindPipesBytesBothWays()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        using var peer = new TcpPeer();
        using var bound = await BoundDataConnectionAsync(h, peer);
        var (peerSide, client, pipe) = (bound.PeerSide, bound.Pair.Client, bound.Pipe);

        await client.SendAsync("hello peer"u8.ToArray());
        Assert.Equal("hello peer", await ReceiveTextAsync(peerSide, 10));
        await peerSide.SendAsync("hello client"u8.ToArray());
        Assert.Equal("hello client", await ReceiveTextAsync(client, 12));

        // The client closing its data connection closes the peer's (RFC 6062 §5.5).
        client.Shutdown(SocketShutdown.Both);
        await pipe.WaitAsync(Patience);
        Assert.Equal(0, await peerSide.ReceiveAsync(new byte[16]).WaitAsync(Patience));
    }

    [Fact]
    public async Task ConnectionBindWithoutConnectionIdGets400()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        Assert.True(AllocateTcp(h).IsSuccess);
        var response = h.Request(StunMethod.ConnectionBind, link: new FakeLink(2, TurnClientTransport.Tcp));
        Assert.Equal(StunErrorCodes.BadRequest, response.ErrorCode);
    }

    [Fact]
    public async Task ConnectionBindWithAnUnknownConnectionIdGets400()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        Assert.True(AllocateTcp(h).IsSuccess);
        Assert.Equal(StunErrorCodes.BadRequest, Bind(h, new FakeLink(2, TurnClientTransport.Tcp), 12345).ErrorCode);
    }

    [Fact]
    public async Task ConnectionBindOverUdpGets400()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        using var peer = new TcpPeer();
        Assert.True(AllocateTcp(h).IsSuccess);
        uint id = await ConnectAsync(h, peer.Address);
        Assert.Equal(StunErrorCodes.BadRequest, Bind(h, new FakeLink(2, TurnClientTransport.Udp), id).ErrorCode);
    }

    [Fact]
    public async Task ConnectionBindOnTheControlConnectionGets400()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        using var peer = new TcpPeer();
        Assert.True(AllocateTcp(h).IsSuccess);
        uint id = await ConnectAsync(h, peer.Address);
        Assert.Equal(StunErrorCodes.BadRequest, Bind(h, h.Link, id).ErrorCode);
    }

    [Fact]
    public async Task ConnectionBindByAnotherUserGets441()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        using var peer = new TcpPeer();
        Assert.True(AllocateTcp(h).IsSuccess);
        uint id = await ConnectAsync(h, peer.Address);
        h.Username = "bob";
        h.UserPassword = "builder";
        Assert.Equal(StunErrorCodes.WrongCredentials, Bind(h, new FakeLink(2, TurnClientTransport.Tcp), id).ErrorCode);
    }

    [Fact]
    public async Task SecondConnectionBindForOneConnectionGets400()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        using var peer = new TcpPeer();
        Assert.True(AllocateTcp(h).IsSuccess);
        uint id = await ConnectAsync(h, peer.Address);
        Assert.True(Bind(h, new FakeLink(2, TurnClientTransport.Tcp), id).IsSuccess);
        Assert.Equal(StunErrorCodes.BadRequest, Bind(h, new FakeLink(3, TurnClientTransport.Tcp), id).ErrorCode);
    }

    [Fact]
    public async Task PeerWithoutPermissionIsClosedAndNotAnnounced()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        var relayed = AllocateTcp(h).RelayedAddress().ToEndPoint();
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(relayed).WaitAsync(Patience);
        // RFC 6062 §5.3: closed right after it is accepted; the client hears nothing.
        Assert.Equal(0, await peer.ReceiveAsync(new byte[16]).WaitAsync(Patience));
        Assert.False(h.Link.TryNext(out _));
    }

    [Fact]
    public async Task PermittedPeerIsAnnouncedWithConnectionAttemptAndCanBeBound()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        var relayed = AllocateTcp(h).RelayedAddress().ToEndPoint();
        Assert.True(h.CreatePermission(TurnAddress.FromEndPoint(new IPEndPoint(IPAddress.Loopback, 0))).IsSuccess);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(relayed).WaitAsync(Patience);

        var indication = new Response(await h.Link.NextAsync());
        var reader = indication.Reader;
        Assert.Equal(StunMethod.ConnectionAttempt, reader.Method);
        Assert.Equal(StunMessageClass.Indication, reader.Class);
        Assert.True(reader.TryGetXorAddress(StunAttributeType.XorPeerAddress, out var announced));
        Assert.Equal(peer.LocalEndPoint, announced);
        Assert.True(reader.TryGetUInt32(StunAttributeType.ConnectionId, out uint id));

        var data = new FakeLink(2, TurnClientTransport.Tcp);
        Assert.True(Bind(h, data, id).IsSuccess);
        using var pair = await SocketPair.CreateAsync();
        _ = data.TakenOver!(new NetworkStream(pair.Server, ownsSocket: false), CancellationToken.None);
        // What the peer sent before the bind was held for the client (RFC 6062 §5.3).
        await peer.SendAsync("early"u8.ToArray());
        Assert.Equal("early", await ReceiveTextAsync(pair.Client, 5));
    }

    [Fact]
    public async Task UnboundPeerConnectionClosesAfter30Seconds()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        using var peer = new TcpPeer();
        Assert.True(AllocateTcp(h).IsSuccess);
        uint id = await ConnectAsync(h, peer.Address);
        using var peerSide = await peer.AcceptAsync();
        h.Time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(0, await peerSide.ReceiveAsync(new byte[16]).WaitAsync(Patience));
        Assert.Equal(StunErrorCodes.BadRequest, Bind(h, new FakeLink(2, TurnClientTransport.Tcp), id).ErrorCode);
    }

    [Fact]
    public async Task DeletingTheAllocationClosesItsDataConnections()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        using var peer = new TcpPeer();
        using var bound = await BoundDataConnectionAsync(h, peer);
        var (peerSide, pipe) = (bound.PeerSide, bound.Pipe);

        Assert.True(h.Refresh(0).IsSuccess);
        await pipe.WaitAsync(Patience);
        Assert.Equal(0, await peerSide.ReceiveAsync(new byte[16]).WaitAsync(Patience));
    }

    [Fact]
    public async Task DeletingTheAllocationEndsTheControlConnectionsIdleExemption()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        Assert.True(AllocateTcp(h).IsSuccess);
        Assert.True(h.Link.HoldsAnAllocation);

        Assert.True(h.Refresh(0).IsSuccess);
        Assert.False(h.Link.HoldsAnAllocation);

        // A new allocation on the same connection holds it again.
        Assert.True(AllocateTcp(h).IsSuccess);
        Assert.True(h.Link.HoldsAnAllocation);
    }

    [Fact]
    public async Task AnExpiredAllocationEndsTheControlConnectionsIdleExemption()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        Assert.True(AllocateTcp(h).IsSuccess);
        h.Time.Advance(h.Options.DefaultAllocationLifetime - TimeSpan.FromSeconds(1));
        Assert.True(h.Link.HoldsAnAllocation);

        // The expiry sweep runs on the server's clock, not on a request of the client's.
        h.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, h.Server.AllocationCount);
        Assert.False(h.Link.HoldsAnAllocation);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BandwidthLimitHoldsTcpRelayingBackWithoutLoss(bool toPeer)
    {
        const int Rate = 1000;
        const int Total = 3500;
        await using var h = new TurnServerHarness(configure: o => o with { BandwidthLimitBytesPerSecond = Rate }, transport: TurnClientTransport.Tcp);
        using var peer = new TcpPeer();
        using var bound = await BoundDataConnectionAsync(h, peer);
        var (peerSide, client) = (bound.PeerSide, bound.Pair.Client);
        var (sender, receiver) = toPeer ? (client, peerSide) : (peerSide, client);

        byte[] sent = System.Security.Cryptography.RandomNumberGenerator.GetBytes(Total);
        await sender.SendAsync(sent);
        var received = new byte[Total];
        int count = 0;
        for (int seconds = 0; count < Total; seconds++)
        {
            Assert.True(seconds < 60, $"Only {count} of {Total} bytes relayed after {seconds} s of the fake clock");
            count += await ReceiveAvailableAsync(receiver, received.AsMemory(count));
            // A token bucket of one second's burst: by second n of the clock, at most (1 + n) seconds' worth.
            Assert.True(count <= Rate * (1 + seconds), $"{count} bytes relayed by second {seconds}");
            h.Time.Advance(TimeSpan.FromSeconds(1));
        }
        // Held back, never dropped: every byte arrives, in order.
        Assert.Equal(sent, received);
    }

    [Fact]
    public async Task SendIndicationOnATcpAllocationIsDroppedWithoutSpendingItsBandwidth()
    {
        const int Rate = 1000;
        await using var h = new TurnServerHarness(configure: o => o with { BandwidthLimitBytesPerSecond = Rate }, transport: TurnClientTransport.Tcp);
        using var peer = new TcpPeer();
        using var bound = await BoundDataConnectionAsync(h, peer);
        Assert.True(h.CreatePermission(peer.Address).IsSuccess);
        Assert.Null(h.Send(TurnServerHarness.SendIndication(peer.Address, new byte[Rate])));

        // The clock stands still: the data connection still has the whole first second's budget.
        byte[] sent = System.Security.Cryptography.RandomNumberGenerator.GetBytes(Rate);
        await bound.Pair.Client.SendAsync(sent);
        var received = new byte[Rate];
        int count = 0;
        for (int attempt = 0; attempt < 20 && count < Rate; attempt++)
        {
            count += await ReceiveAvailableAsync(bound.PeerSide, received.AsMemory(count));
        }
        Assert.Equal(sent, received);
    }

    private static Response AllocateTcp(TurnServerHarness h, WriteAttributes? extra = null) =>
        h.Request(StunMethod.Allocate, (ref StunMessageWriter w) =>
        {
            w.WriteRequestedTransport(TurnTransport.Tcp);
            extra?.Invoke(ref w);
        });

    /// <summary>The immediate answer to Connect, or null when the server went on to connect.</summary>
    private static Response? Connect(TurnServerHarness h, TurnAddress peer)
    {
        if (h.Nonce is null)
        {
            h.Challenge();
        }
        return h.Send(h.BuildSigned(StunMethod.Connect, (ref StunMessageWriter w) => w.WriteXorAddress(StunAttributeType.XorPeerAddress, peer.ToEndPoint())));
    }

    /// <summary>A Connect that succeeds; returns its CONNECTION-ID.</summary>
    private static async Task<uint> ConnectAsync(TurnServerHarness h, TurnAddress peer)
    {
        Assert.Null(Connect(h, peer));
        var response = new Response(await h.Link.NextAsync());
        Assert.True(response.IsSuccess, $"Connect answered {response.ErrorCode}");
        Assert.True(response.Reader.TryGetUInt32(StunAttributeType.ConnectionId, out uint id));
        return id;
    }

    private static Response Bind(TurnServerHarness h, FakeLink link, uint id) =>
        h.Request(StunMethod.ConnectionBind, (ref StunMessageWriter w) => w.WriteUInt32(StunAttributeType.ConnectionId, id), link: link);

    private static async Task<string> ReceiveTextAsync(Socket socket, int length)
    {
        var buffer = new byte[length];
        int received = 0;
        while (received < length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(received)).AsTask().WaitAsync(Patience);
            Assert.NotEqual(0, n);
            received += n;
        }
        return System.Text.Encoding.UTF8.GetString(buffer);
    }

    /// <summary>What arrives within a moment (the relay may be holding the rest back); 0 when nothing does.</summary>
    private static async Task<int> ReceiveAvailableAsync(Socket socket, Memory<byte> buffer)
    {
        int received = 0;
        while (received < buffer.Length && socket.Poll(TimeSpan.FromMilliseconds(200), SelectMode.SelectRead))
        {
            int n = await socket.ReceiveAsync(buffer[received..]).AsTask().WaitAsync(Patience);
            Assert.NotEqual(0, n);
            received += n;
        }
        return received;
    }

    /// <summary>A TCP listener on loopback standing in for a peer.</summary>
    private sealed class TcpPeer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public TcpPeer() => _listener.Start();

        public TurnAddress Address => TurnAddress.FromEndPoint((IPEndPoint)_listener.LocalEndpoint);

        public async Task<Socket> AcceptAsync() => await _listener.AcceptSocketAsync().WaitAsync(Patience);

        public void Dispose() => _listener.Stop();
    }

    /// <summary>
    /// A TCP allocation Connected to <paramref name="peer"/> and bound over a second client connection (RFC 6062
    /// §5.2, §5.4): the peer's accepted socket, the client's data connection, and the server's pipe between them.
    /// </summary>
    private static async Task<BoundDataConnection> BoundDataConnectionAsync(TurnServerHarness h, TcpPeer peer)
    {
        Assert.True(AllocateTcp(h).IsSuccess);
        uint id = await ConnectAsync(h, peer.Address);
        var peerSide = await peer.AcceptAsync();
        var data = new FakeLink(2, TurnClientTransport.Tcp);
        Assert.True(Bind(h, data, id).IsSuccess);
        Assert.NotNull(data.TakenOver);
        var pair = await SocketPair.CreateAsync();
        var pipe = data.TakenOver(new NetworkStream(pair.Server, ownsSocket: false), CancellationToken.None);
        return new BoundDataConnection(peerSide, pair, pipe);
    }

    private sealed record BoundDataConnection(Socket PeerSide, SocketPair Pair, Task Pipe) : IDisposable
    {
        public void Dispose()
        {
            PeerSide.Dispose();
            Pair.Dispose();
        }
    }

    /// <summary>Two connected loopback sockets: the server side plays the client data connection the listener hands over.</summary>
    private sealed class SocketPair : IDisposable
    {
        private SocketPair(Socket client, Socket server)
        {
            Client = client;
            Server = server;
        }

        public Socket Client { get; }

        public Socket Server { get; }

        public static async Task<SocketPair> CreateAsync()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(listener.LocalEndpoint);
            var server = await listener.AcceptSocketAsync();
            return new SocketPair(client, server);
        }

        public void Dispose()
        {
            Client.Dispose();
            Server.Dispose();
        }
    }
}
