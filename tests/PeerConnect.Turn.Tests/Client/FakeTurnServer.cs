using System.Net;
using System.Threading.Channels;
using PeerConnect.Stun;
using PeerConnect.Stun.Transport;
using PeerConnect.Turn.Client;

namespace PeerConnect.Turn.Tests.Client;

/// <summary>What the client sent, decoded.</summary>
internal sealed record SentMessage(
    byte[] Raw,
    StunMethod? Method,
    StunMessageClass? Class,
    TransactionId Id,
    uint? Lifetime,
    IReadOnlyList<IPEndPoint> Peers,
    ushort? Channel,
    byte[]? Data,
    string? Username,
    string? Nonce,
    bool HasIntegrity,
    bool HasIntegritySha256,
    ushort? PasswordAlgorithm,
    DateTimeOffset At)
{
    public bool IsChannelData => Method is null;
}

/// <summary>
/// The client's view of the server for unit tests: an <see cref="IDatagramTransport"/> whose sends are decoded and
/// answered at once by a tiny TURN responder built on our codec, and whose receives are what it (or the test) delivers.
/// </summary>
internal sealed class FakeTurnServer : IDatagramTransport
{
    public const string Username = "alice";
    public const string Password = "secret";
    public const string Realm = "example.org";

    public static readonly IPEndPoint ServerEndPoint = new(IPAddress.Parse("192.0.2.1"), 3478);
    public static readonly IPEndPoint Relayed = new(IPAddress.Parse("192.0.2.1"), 49152);
    public static readonly IPEndPoint Mapped = new(IPAddress.Parse("198.51.100.7"), 40000);

    private readonly Channel<(byte[] Data, IPEndPoint From)> _inbound = Channel.CreateUnbounded<(byte[], IPEndPoint)>();
    private readonly List<SentMessage> _sent = [];
    private readonly TimeProvider _time;
    private int _nonceGeneration = 1;
    private long _unrecordedData;

    public FakeTurnServer(TimeProvider time)
    {
        _time = time;
    }

    public IPEndPoint LocalEndPoint { get; } = new(IPAddress.Parse("10.0.0.2"), 5000);

    /// <summary>PASSWORD-ALGORITHMS offered in the 401 (RFC 8489 §14.11); none by default.</summary>
    public StunPasswordAlgorithm[]? OfferedAlgorithms { get; set; }

    /// <summary>Lifetime granted by Allocate and Refresh.</summary>
    public uint GrantedLifetime { get; set; } = 600;

    /// <summary>Methods whose next signed request gets 438 Stale Nonce with a new nonce.</summary>
    public HashSet<StunMethod> StaleNonceOnce { get; } = [];

    /// <summary>Error code answered to every request of a method (e.g. ChannelBind → 400).</summary>
    public Dictionary<StunMethod, int> Refuse { get; } = [];

    /// <summary>When false, requests are recorded but not answered; the test answers them.</summary>
    public bool Answer { get; set; } = true;

    public string CurrentNonce => $"nonce-{_nonceGeneration}";

    public IReadOnlyList<SentMessage> Sent
    {
        get
        {
            lock (_sent)
            {
                return [.. _sent];
            }
        }
    }

    public IEnumerable<SentMessage> Requests(StunMethod method) =>
        Sent.Where(m => m.Method == method && m.Class == StunMessageClass.Request);

    public static byte[] Key(StunPasswordAlgorithm algorithm = StunPasswordAlgorithm.Md5) =>
        StunCredentials.LongTermKey(Username, Realm, Password, algorithm);

    /// <summary>When false, ChannelData and Send indications are only counted, so measuring allocations sees the client's alone.</summary>
    public bool RecordData { get; set; } = true;

    public long UnrecordedData => Interlocked.Read(ref _unrecordedData);

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken = default)
    {
        if (!RecordData && (ChannelDataFrame.LooksLikeChannelData(datagram.Span) || (datagram.Span[0] == 0x00 && datagram.Span[1] == 0x16)))
        {
            Interlocked.Increment(ref _unrecordedData);
            return ValueTask.CompletedTask;
        }

        SentMessage message = Decode(datagram.ToArray());
        lock (_sent)
        {
            _sent.Add(message);
        }

        if (Answer && message.Class == StunMessageClass.Request && Respond(message) is byte[] response)
        {
            Deliver(response);
        }

        return ValueTask.CompletedTask;
    }

    public void Deliver(byte[] datagram, IPEndPoint? from = null) => _inbound.Writer.TryWrite((datagram, from ?? ServerEndPoint));

    public async ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        (byte[] data, IPEndPoint from) = await _inbound.Reader.ReadAsync(cancellationToken);
        int count = Math.Min(data.Length, buffer.Length);
        data.AsSpan(0, count).CopyTo(buffer.Span);
        return new DatagramReceiveResult(count, from);
    }

    public ValueTask DisposeAsync()
    {
        _inbound.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    /// <summary>The default answer to a request: 401 until signed, then 438 once if asked, then success or a refusal.</summary>
    public byte[]? Respond(SentMessage request)
    {
        StunMethod method = request.Method!.Value;
        if (!request.HasIntegrity && !request.HasIntegritySha256)
        {
            return Error(request, StunErrorCodes.Unauthorized, challenge: true);
        }

        if (request.Nonce != CurrentNonce || StaleNonceOnce.Remove(method))
        {
            _nonceGeneration++;
            return Error(request, StunErrorCodes.StaleNonce, challenge: true);
        }

        if (Refuse.TryGetValue(method, out int code))
        {
            // A server cannot sign for credentials it rejects: a 401 is a fresh, unsigned challenge.
            return Error(request, code, challenge: code == StunErrorCodes.Unauthorized);
        }

        var buffer = new byte[1024];
        var writer = new StunMessageWriter(buffer, new StunMessageType(method, StunMessageClass.SuccessResponse), request.Id);
        switch (method)
        {
            case StunMethod.Allocate:
                writer.WriteXorAddress(StunAttributeType.XorRelayedAddress, Relayed);
                writer.WriteXorAddress(StunAttributeType.XorMappedAddress, Mapped);
                writer.WriteUInt32(StunAttributeType.Lifetime, GrantedLifetime);
                break;
            case StunMethod.Refresh:
                writer.WriteUInt32(StunAttributeType.Lifetime, request.Lifetime == 0 ? 0 : GrantedLifetime);
                break;
        }

        Sign(ref writer, request);
        return buffer[..writer.Length];
    }

    public static void Sign(ref StunMessageWriter writer, SentMessage request)
    {
        if (request.HasIntegritySha256)
        {
            writer.WriteMessageIntegritySha256(Key(StunPasswordAlgorithm.Sha256));
        }
        else
        {
            writer.WriteMessageIntegrity(Key());
        }

        writer.WriteFingerprint();
    }

    private byte[] Error(SentMessage request, int code, bool challenge)
    {
        var buffer = new byte[1024];
        var writer = new StunMessageWriter(buffer, new StunMessageType(request.Method!.Value, StunMessageClass.ErrorResponse), request.Id);
        writer.WriteErrorCode(code, StunErrorCodes.ReasonPhrase(code));
        if (challenge)
        {
            writer.WriteString(StunAttributeType.Realm, Realm);
            writer.WriteString(StunAttributeType.Nonce, CurrentNonce);
            if (OfferedAlgorithms is not null)
            {
                writer.WritePasswordAlgorithms(OfferedAlgorithms);
            }

            writer.WriteFingerprint();
        }
        else
        {
            Sign(ref writer, request);
        }

        return buffer[..writer.Length];
    }

    private SentMessage Decode(byte[] raw)
    {
        DateTimeOffset at = _time.GetUtcNow();
        if (ChannelDataFrame.TryRead(raw, out ushort channel, out ReadOnlySpan<byte> payload))
        {
            return new SentMessage(raw, null, null, default, null, [], channel, payload.ToArray(), null, null, false, false, null, at);
        }

        StunMessageReader reader = StunMessageReader.Parse(raw);
        var peers = new List<IPEndPoint>();
        foreach (StunAttribute attribute in reader.Attributes)
        {
            if (attribute.Type == (ushort)StunAttributeType.XorPeerAddress)
            {
                peers.Add(ReadXorAddress(attribute.Value, reader.Message));
            }
        }

        return new SentMessage(
            raw,
            reader.Method,
            reader.Class,
            reader.TransactionId,
            reader.TryGetUInt32(StunAttributeType.Lifetime, out uint lifetime) ? lifetime : null,
            peers,
            reader.TryGetChannelNumber(out ushort number) ? number : null,
            reader.TryGetAttribute(StunAttributeType.Data, out ReadOnlySpan<byte> data) ? data.ToArray() : null,
            reader.TryGetString(StunAttributeType.Username, out string username) ? username : null,
            reader.TryGetString(StunAttributeType.Nonce, out string nonce) ? nonce : null,
            reader.HasMessageIntegrity,
            reader.HasMessageIntegritySha256,
            reader.TryGetPasswordAlgorithm(out StunPasswordAlgorithm algorithm) ? (ushort)algorithm : null,
            at);
    }

    // XOR-PEER-ADDRESS (RFC 8489 §14.2 layout): 0 | family | X-Port | X-Address, XORed with the cookie
    // (and, for IPv6, the transaction id). Decoded here because a request may carry several.
    private static IPEndPoint ReadXorAddress(ReadOnlySpan<byte> value, ReadOnlySpan<byte> message)
    {
        int port = ((value[2] << 8) | value[3]) ^ 0x2112;
        byte[] address = value[4..].ToArray();
        for (int i = 0; i < address.Length; i++)
        {
            address[i] ^= message[4 + i];
        }

        return new IPEndPoint(new IPAddress(address), port);
    }
}
