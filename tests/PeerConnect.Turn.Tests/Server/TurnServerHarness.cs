using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using PeerConnect.Stun;
using PeerConnect.Turn.Server;

namespace PeerConnect.Turn.Tests.Server;

/// <summary>Writes the attributes of a request under test.</summary>
internal delegate void WriteAttributes(ref StunMessageWriter writer);

/// <summary>A parsed copy of a response, so tests can keep it past the buffer.</summary>
internal sealed class Response(byte[] bytes)
{
    public byte[] Bytes { get; } = bytes;

    public StunMessageReader Reader => StunMessageReader.Parse(Bytes);

    public bool IsSuccess => Reader.Class == StunMessageClass.SuccessResponse;

    public int ErrorCode => Reader.TryGetErrorCode(out int code, out _) ? code : 0;

    public string? Nonce => Reader.TryGetString(StunAttributeType.Nonce, out string nonce) ? nonce : null;

    public TurnAddress RelayedAddress(int index = 0)
    {
        int i = 0;
        foreach (var attribute in Reader.Attributes)
        {
            if (attribute.Type == (ushort)StunAttributeType.XorRelayedAddress && i++ == index)
            {
                var reader = Reader;
                Assert.True(TryDecode(attribute.Value, reader.Message, out var result));
                return result;
            }
        }
        throw new Xunit.Sdk.XunitException("No XOR-RELAYED-ADDRESS #" + index);
    }

    public int Count(StunAttributeType type)
    {
        int n = 0;
        foreach (var attribute in Reader.Attributes)
        {
            n += attribute.Type == (ushort)type ? 1 : 0;
        }
        return n;
    }

    private static bool TryDecode(ReadOnlySpan<byte> value, ReadOnlySpan<byte> header, out TurnAddress address)
    {
        int length = value[1] == 1 ? 4 : 16;
        Span<byte> raw = stackalloc byte[16];
        for (int i = 0; i < length; i++)
        {
            raw[i] = (byte)(value[4 + i] ^ header[4 + i]);
        }
        address = TurnAddress.FromBytes(raw[..length], ((value[2] << 8) | value[3]) ^ 0x2112);
        return true;
    }
}

/// <summary>A relay socket in memory: sends are recorded, peer datagrams are injected with <see cref="Deliver"/>.</summary>
internal sealed class FakeRelaySocket(TurnAddress local) : ITurnRelaySocket
{
    private readonly Channel<(byte[] Data, TurnAddress Peer)> _inbound = Channel.CreateUnbounded<(byte[], TurnAddress)>();

    public TurnAddress LocalAddress { get; } = local;

    public ConcurrentQueue<(byte[] Data, TurnAddress Peer, bool DontFragment)> Sent { get; } = new();

    public bool Record { get; set; } = true;

    public int SendCount;

    public bool Disposed { get; private set; }

    public void Deliver(TurnAddress peer, byte[] data) => _inbound.Writer.TryWrite((data, peer));

    public bool Send(ReadOnlySpan<byte> datagram, TurnAddress peer, bool dontFragment)
    {
        Interlocked.Increment(ref SendCount);
        if (Record)
        {
            Sent.Enqueue((datagram.ToArray(), peer, dontFragment));
        }
        return true;
    }

    public async ValueTask<TurnRelayReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var (data, peer) = await _inbound.Reader.ReadAsync(cancellationToken);
        data.CopyTo(buffer);
        return new TurnRelayReceiveResult(data.Length, peer);
    }

    public void Dispose()
    {
        Disposed = true;
        _inbound.Writer.TryComplete();
    }
}

internal sealed class FakeRelaySocketFactory : ITurnRelaySocketFactory
{
    private int _nextPort = 50_000;

    public bool IPv6 { get; set; } = true;

    public bool Exhausted { get; set; }

    public List<FakeRelaySocket> Sockets { get; } = [];

    public bool Supports(AddressFamily family) => family == AddressFamily.InterNetwork || IPv6;

    public ITurnRelaySocket? Bind(AddressFamily family, int port, bool evenPort, bool reserveNext, out ITurnRelaySocket? reserved)
    {
        reserved = null;
        if (Exhausted)
        {
            return null;
        }
        int chosen = Interlocked.Add(ref _nextPort, 2);
        var address = family == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback;
        var socket = new FakeRelaySocket(TurnAddress.FromEndPoint(new IPEndPoint(address, chosen)));
        lock (Sockets)
        {
            Sockets.Add(socket);
        }
        if (reserveNext)
        {
            reserved = new FakeRelaySocket(TurnAddress.FromEndPoint(new IPEndPoint(address, chosen + 1)));
        }
        return socket;
    }
}

/// <summary>The client side of the core: a link for one transport, whose senders record what the client gets.</summary>
internal sealed class FakeLink(long id, TurnClientTransport transport) : ITurnClientLink, ITurnClientSender
{
    private readonly Channel<byte[]> _received = Channel.CreateUnbounded<byte[]>();

    public long Id { get; } = id;

    public TurnClientTransport Transport { get; } = transport;

    public ITurnClientSender CreateSender(TurnAddress client) => this;

    /// <summary>What a ConnectionBind asked to take the connection over with (RFC 6062 §5.4); the test runs it on a stream of its own.</summary>
    public Func<Stream, CancellationToken, Task>? TakenOver { get; private set; }

    public bool HandOff(Func<Stream, CancellationToken, Task> takeOver)
    {
        if (Transport == TurnClientTransport.Udp || TakenOver is not null)
        {
            return false;
        }
        TakenOver = takeOver;
        return true;
    }

    /// <summary>What the core last said: true from Allocate until the allocation ends (the listener's idle-timeout exemption).</summary>
    public bool HoldsAnAllocation { get; private set; }

    public void HoldsAllocation() => HoldsAnAllocation = true;

    public void AllocationEnded() => HoldsAnAllocation = false;

    private int _sendCount;

    /// <summary>When false, a send is only counted, with the sending thread's allocation counter noted, not copied.</summary>
    public bool Record { get; set; } = true;

    public int SendCount => Volatile.Read(ref _sendCount);

    /// <summary><see cref="GC.GetAllocatedBytesForCurrentThread"/> on the thread of the latest unrecorded send.</summary>
    public long SenderAllocatedBytes { get; private set; }

    public bool Send(ReadOnlySpan<byte> message)
    {
        if (!Record)
        {
            SenderAllocatedBytes = GC.GetAllocatedBytesForCurrentThread();
            Interlocked.Increment(ref _sendCount);
            return true;
        }
        return _received.Writer.TryWrite(message.ToArray());
    }

    public async Task<byte[]> NextAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _received.Reader.ReadAsync(timeout.Token);
    }

    public bool TryNext(out byte[] message) => _received.Reader.TryRead(out message!);
}

/// <summary>A TURN server core on a fake clock with in-memory relay sockets, and a hand-built STUN client for it.</summary>
internal sealed class TurnServerHarness : IAsyncDisposable
{
    public const string User = "alice";
    public const string Password = "wonderland";
    public const string Secret = "rest-secret";

    /// <summary>A first request padded past the size of the full 401, so the amplification limit lets it through.</summary>
    public static readonly string PaddedSoftware = new('x', 160);

    public static readonly TurnAddress ClientAddress = TurnAddress.FromEndPoint(new IPEndPoint(IPAddress.Loopback, 40_000));
    public static readonly TurnAddress Peer = TurnAddress.FromEndPoint(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 7000));

    public TurnServerHarness(TurnServerOptions? options = null, Func<TurnServerOptions, TurnServerOptions>? configure = null, TurnServerPolicies? policies = null, TurnClientTransport transport = TurnClientTransport.Udp, Func<TurnServerOptions, ITurnRelaySocketFactory>? relaySockets = null)
    {
        var baseOptions = options ?? new TurnServerOptions
        {
            Users = new Dictionary<string, string> { [User] = Password, ["bob"] = "builder" },
            AuthSecret = Secret,
            AllowLoopbackPeers = true,
            RelayAddress = IPAddress.Loopback,
            RelayAddressV6 = IPAddress.IPv6Loopback,
        };
        Options = configure is null ? baseOptions : configure(baseOptions);
        Time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Server = new TurnServer(Options, relaySockets?.Invoke(Options) ?? Relays, policies, timeProvider: Time);
        Link = new FakeLink(1, transport);
    }

    public TurnServerOptions Options { get; }

    public FakeTimeProvider Time { get; }

    public FakeRelaySocketFactory Relays { get; } = new();

    public TurnServer Server { get; }

    public FakeLink Link { get; }

    public string Username { get; set; } = User;

    public string UserPassword { get; set; } = Password;

    public string? Nonce { get; set; }

    public StunPasswordAlgorithm Algorithm { get; set; } = StunPasswordAlgorithm.Md5;

    public bool EchoAlgorithms { get; set; }

    public bool UseSha256Integrity { get; set; }

    public FakeRelaySocket Relay(int index = 0) => Relays.Sockets[index];

    /// <summary>Sends bytes as the client and returns the response (null when the server stays silent).</summary>
    public Response? Send(ReadOnlySpan<byte> packet, TurnAddress? from = null, FakeLink? link = null)
    {
        var buffer = new byte[4096];
        int length = Server.Process(link ?? Link, from ?? ClientAddress, packet, buffer);
        return length == 0 ? null : new Response(buffer[..length]);
    }

    public static byte[] Build(StunMethod method, WriteAttributes? attributes = null, StunMessageClass cls = StunMessageClass.Request)
    {
        var buffer = new byte[2048];
        var writer = new StunMessageWriter(buffer, new StunMessageType(method, cls), TransactionId.NewRandom());
        attributes?.Invoke(ref writer);
        return buffer[..writer.Length];
    }

    /// <summary>Builds a request signed with the harness's credentials and nonce (RFC 8489 §9.2.3).</summary>
    public byte[] BuildSigned(StunMethod method, WriteAttributes? attributes = null, TransactionId? transactionId = null)
    {
        var buffer = new byte[2048];
        var writer = new StunMessageWriter(buffer, new StunMessageType(method, StunMessageClass.Request), transactionId ?? TransactionId.NewRandom());
        attributes?.Invoke(ref writer);
        writer.WriteString(StunAttributeType.Username, Username);
        writer.WriteString(StunAttributeType.Realm, Options.Realm);
        writer.WriteString(StunAttributeType.Nonce, Nonce ?? "none");
        if (EchoAlgorithms)
        {
            writer.WritePasswordAlgorithms([StunPasswordAlgorithm.Sha256, StunPasswordAlgorithm.Md5]);
            writer.WritePasswordAlgorithm(Algorithm);
        }
        byte[] key = StunCredentials.LongTermKey(Username, Options.Realm, UserPassword, Algorithm);
        if (UseSha256Integrity)
        {
            writer.WriteMessageIntegritySha256(key);
        }
        else
        {
            writer.WriteMessageIntegrity(key);
        }
        writer.WriteFingerprint();
        return buffer[..writer.Length];
    }

    /// <summary>Gets a nonce the way a client does: an unauthenticated request answered 401.</summary>
    public Response Challenge()
    {
        var challenge = Send(Build(StunMethod.Allocate, static (ref StunMessageWriter w) =>
        {
            w.WriteRequestedTransport(TurnTransport.Udp);
            w.WriteString(StunAttributeType.Software, PaddedSoftware);
        }))!;
        Assert.Equal(StunErrorCodes.Unauthorized, challenge.ErrorCode);
        Nonce = challenge.Nonce;
        return challenge;
    }

    /// <summary>Sends a signed request, fetching a nonce first when there is none.</summary>
    public Response Request(StunMethod method, WriteAttributes? attributes = null, TransactionId? transactionId = null, TurnAddress? from = null, FakeLink? link = null)
    {
        if (Nonce is null)
        {
            Challenge();
        }
        return Send(BuildSigned(method, attributes, transactionId), from, link)!;
    }

    public Response Allocate(WriteAttributes? extra = null, TransactionId? transactionId = null) =>
        Request(StunMethod.Allocate, (ref StunMessageWriter w) =>
        {
            w.WriteRequestedTransport(TurnTransport.Udp);
            extra?.Invoke(ref w);
        }, transactionId);

    public Response CreatePermission(params TurnAddress[] peers) =>
        Request(StunMethod.CreatePermission, (ref StunMessageWriter w) =>
        {
            foreach (var peer in peers)
            {
                w.WriteXorAddress(StunAttributeType.XorPeerAddress, peer.ToEndPoint());
            }
        });

    public Response ChannelBind(ushort channel, TurnAddress peer) =>
        Request(StunMethod.ChannelBind, (ref StunMessageWriter w) =>
        {
            w.WriteChannelNumber(channel);
            w.WriteXorAddress(StunAttributeType.XorPeerAddress, peer.ToEndPoint());
        });

    public Response Refresh(uint lifetime) =>
        Request(StunMethod.Refresh, (ref StunMessageWriter w) => w.WriteUInt32(StunAttributeType.Lifetime, lifetime));

    public static byte[] SendIndication(TurnAddress peer, byte[] data, bool dontFragment = false) =>
        Build(StunMethod.Send, (ref StunMessageWriter w) =>
        {
            w.WriteXorAddress(StunAttributeType.XorPeerAddress, peer.ToEndPoint());
            w.WriteAttribute(StunAttributeType.Data, data);
            if (dontFragment)
            {
                w.WriteFlag(StunAttributeType.DontFragment);
            }
        }, StunMessageClass.Indication);

    public static byte[] ChannelData(ushort channel, byte[] data, bool padded = false)
    {
        var buffer = new byte[ChannelDataFrame.FrameLength(data.Length, padded)];
        ChannelDataFrame.Write(buffer, channel, data, padded);
        return buffer;
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
