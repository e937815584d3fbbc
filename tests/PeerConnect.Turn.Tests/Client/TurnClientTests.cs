using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using PeerConnect.Stun;
using PeerConnect.Stun.Client;
using PeerConnect.Stun.Transport;
using PeerConnect.Turn.Client;

namespace PeerConnect.Turn.Tests.Client;

/// <summary>RFC 8656 client rules, stepped on a fake clock against a fake server built on our codec.</summary>
public sealed class TurnClientTests : IAsyncDisposable
{
    internal static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    internal static readonly IPEndPoint PeerA = new(IPAddress.Parse("203.0.113.10"), 6000);
    internal static readonly IPEndPoint PeerB = new(IPAddress.Parse("203.0.113.11"), 6001);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly List<(FakeTurnServer Server, TurnClient Client)> _started = [];
    private FakeTurnServer _server = null!;
    private TurnClient _client = null!;

    public TurnClientTests()
    {
        (_server, _client) = Start(Options(_time));
    }

    public async ValueTask DisposeAsync()
    {
        foreach ((FakeTurnServer server, TurnClient client) in _started)
        {
            server.Answer = true;
            await client.DisposeAsync();
        }
    }

    /// <summary>A client on its own fake server: each server's replies go to exactly one client.</summary>
    private (FakeTurnServer Server, TurnClient Client) Start(TurnClientOptions options, bool reliable = false)
    {
        var server = new FakeTurnServer(_time);
        var client = new TurnClient(options, server, reliable);
        _started.Add((server, client));
        return (server, client);
    }

    internal static TurnClientOptions Options(TimeProvider time) => new()
    {
        Server = FakeTurnServer.ServerEndPoint,
        Username = FakeTurnServer.Username,
        Password = FakeTurnServer.Password,
        TimeProvider = time,
    };

    internal static async Task WaitUntil(Func<bool> condition, string what)
    {
        // Wall-clock time only bounds the wait for the client's loops; the protocol runs on the fake clock.
        DateTime giveUp = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < giveUp, $"Timed out waiting until {what}.");
            await Task.Delay(5);
        }
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task AllocateAnswers401ChallengeWithLongTermCredentials()
    {
        TurnAllocation allocation = await _client.AllocateAsync().WaitAsync(Patience);

        SentMessage[] allocates = [.. _server.Requests(StunMethod.Allocate)];
        Assert.Equal(2, allocates.Length);
        Assert.False(allocates[0].HasIntegrity);
        Assert.Null(allocates[0].Username);
        Assert.Equal(600u, allocates[0].Lifetime);
        Assert.Equal(FakeTurnServer.Username, allocates[1].Username);
        Assert.Equal("nonce-1", allocates[1].Nonce);
        Assert.NotEqual(allocates[0].Id, allocates[1].Id);
        Assert.True(StunMessageReader.Parse(allocates[1].Raw).VerifyMessageIntegrity(FakeTurnServer.Key()));
        Assert.True(StunMessageReader.Parse(allocates[1].Raw).VerifyFingerprint());
        Assert.Equal(FakeTurnServer.Relayed, allocation.RelayedEndPoint);
        Assert.Equal(FakeTurnServer.Mapped, allocation.MappedEndPoint);
        Assert.Equal(TimeSpan.FromSeconds(600), allocation.Lifetime);
        Assert.Equal(FakeTurnServer.Relayed, _client.Relay.LocalEndPoint);
    }

    [Fact]
    public async Task Sha256IsUsedWhenTheServerOffersIt()
    {
        _server.OfferedAlgorithms = [StunPasswordAlgorithm.Sha256, StunPasswordAlgorithm.Md5];

        await _client.AllocateAsync().WaitAsync(Patience);

        SentMessage signed = _server.Requests(StunMethod.Allocate).Last();
        Assert.Equal((ushort)StunPasswordAlgorithm.Sha256, signed.PasswordAlgorithm);
        Assert.True(signed.HasIntegritySha256);
        var reader = StunMessageReader.Parse(signed.Raw);
        Assert.True(reader.VerifyMessageIntegritySha256(FakeTurnServer.Key(StunPasswordAlgorithm.Sha256)));
        Assert.True(reader.TryGetAttribute(StunAttributeType.PasswordAlgorithms, out _));
    }

    [Fact]
    public async Task Md5IsKeptWhenTheServerOffersNoAlgorithms()
    {
        await _client.AllocateAsync().WaitAsync(Patience);

        SentMessage signed = _server.Requests(StunMethod.Allocate).Last();
        Assert.Null(signed.PasswordAlgorithm);
        Assert.True(signed.HasIntegrity);
        Assert.False(signed.HasIntegritySha256);
    }

    [Fact]
    public async Task WrongCredentialsAreNotRetried()
    {
        (FakeTurnServer server, TurnClient client) = Start(Options(_time) with { Password = "wrong" });
        server.Refuse[StunMethod.Allocate] = StunErrorCodes.Unauthorized;

        var error = await Assert.ThrowsAsync<StunErrorResponseException>(() => client.AllocateAsync().WaitAsync(Patience));

        Assert.Equal(StunErrorCodes.Unauthorized, error.ErrorCode);
        Assert.Equal(2, server.Requests(StunMethod.Allocate).Count());
    }

    [Fact]
    public async Task StaleNonceGets438AndIsRetriedWithTheNewNonce()
    {
        await _client.AllocateAsync().WaitAsync(Patience);
        _server.StaleNonceOnce.Add(StunMethod.CreatePermission);

        await _client.CreatePermissionAsync([PeerA]).WaitAsync(Patience);

        SentMessage[] requests = [.. _server.Requests(StunMethod.CreatePermission)];
        Assert.Equal(2, requests.Length);
        Assert.Equal("nonce-1", requests[0].Nonce);
        Assert.Equal("nonce-2", requests[1].Nonce);
        Assert.True(StunMessageReader.Parse(requests[1].Raw).VerifyMessageIntegrity(FakeTurnServer.Key()));
    }

    [Fact]
    public async Task AllocationIsRefreshedAMinuteBeforeItsLifetimeEnds()
    {
        await _client.AllocateAsync().WaitAsync(Patience);

        _time.Advance(TimeSpan.FromSeconds(539));
        Assert.Empty(_server.Requests(StunMethod.Refresh));
        _time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntil(() => _server.Requests(StunMethod.Refresh).Count() == 1, "the first Refresh is sent");
        Assert.Equal(600u, _server.Requests(StunMethod.Refresh).Single().Lifetime);

        // The granted lifetime restarts the schedule.
        await WaitUntil(() => _client.Allocation!.Lifetime == TimeSpan.FromSeconds(600), "the refresh is applied");
        _time.Advance(TimeSpan.FromSeconds(540));
        await WaitUntil(() => _server.Requests(StunMethod.Refresh).Count() == 2, "the second Refresh is sent");
    }

    [Fact]
    public async Task ShortLifetimeIsRefreshedAtHalfTime()
    {
        _server.GrantedLifetime = 100;
        await _client.AllocateAsync().WaitAsync(Patience);

        _time.Advance(TimeSpan.FromSeconds(49));
        Assert.Empty(_server.Requests(StunMethod.Refresh));
        _time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntil(() => _server.Requests(StunMethod.Refresh).Count() == 1, "the Refresh is sent at 50 s");
    }

    [Fact]
    public async Task RefusedRefreshLosesTheAllocation()
    {
        await _client.AllocateAsync().WaitAsync(Patience);
        await _client.CreatePermissionAsync([PeerA]).WaitAsync(Patience);
        _server.Refuse[StunMethod.Refresh] = StunErrorCodes.AllocationMismatch;

        _time.Advance(TimeSpan.FromSeconds(540));

        var receive = _client.Relay.ReceiveAsync(new byte[64]).AsTask();
        await Assert.ThrowsAsync<TurnAllocationLostException>(() => receive.WaitAsync(Patience));
        await Assert.ThrowsAsync<TurnAllocationLostException>(() => _client.Relay.SendAsync(Bytes("x"), PeerA).AsTask());
    }

    [Fact]
    public async Task SeveralPeersShareOneCreatePermissionAndAreRefreshedBefore300Seconds()
    {
        await _client.AllocateAsync().WaitAsync(Patience);

        await _client.CreatePermissionAsync([PeerA, PeerB]).WaitAsync(Patience);

        SentMessage first = Assert.Single(_server.Requests(StunMethod.CreatePermission), m => m.Nonce is not null);
        Assert.Equal([PeerA, PeerB], first.Peers);
        DateTimeOffset installed = _time.GetUtcNow();

        _time.Advance(TimeSpan.FromSeconds(239));
        Assert.Single(_server.Requests(StunMethod.CreatePermission));
        _time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntil(
            () => _server.Requests(StunMethod.CreatePermission).Where(m => m.At > installed).SelectMany(m => m.Peers).Distinct().Count() == 2,
            "both permissions are refreshed");
    }

    [Fact]
    public async Task ChannelIsBoundInRangeAndRefreshedBefore600Seconds()
    {
        await _client.AllocateAsync().WaitAsync(Patience);

        ushort channel = await _client.BindChannelAsync(PeerA).WaitAsync(Patience);

        Assert.Equal(0x4000, channel);
        SentMessage bind = Assert.Single(_server.Requests(StunMethod.ChannelBind));
        Assert.Equal((ushort)0x4000, bind.Channel);
        Assert.Equal([PeerA], bind.Peers);

        _time.Advance(TimeSpan.FromSeconds(539));
        Assert.Single(_server.Requests(StunMethod.ChannelBind));
        _time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntil(() => _server.Requests(StunMethod.ChannelBind).Count() == 2, "the channel is refreshed");
        SentMessage refresh = _server.Requests(StunMethod.ChannelBind).Last();
        Assert.Equal((ushort)0x4000, refresh.Channel);
        Assert.Equal([PeerA], refresh.Peers);
    }

    [Fact]
    public async Task FirstSendInstallsThePermissionAndUsesSendIndicationsUntilTheChannelIsBound()
    {
        await _client.AllocateAsync().WaitAsync(Patience);

        await _client.Relay.SendAsync(Bytes("hello"), PeerA).AsTask().WaitAsync(Patience);
        // Queued behind the channel the first send asked for, so when it returns that one is bound.
        await _client.BindChannelAsync(PeerA).WaitAsync(Patience);
        await _client.Relay.SendAsync(Bytes("world"), PeerA).AsTask().WaitAsync(Patience);

        SentMessage[] sent = [.. _server.Sent.Where(m => m.Nonce is not null || m.Class == StunMessageClass.Indication || m.IsChannelData)];
        Assert.Equal(StunMethod.Allocate, sent[0].Method);
        Assert.Equal(StunMethod.CreatePermission, sent[1].Method);
        Assert.Equal([PeerA], sent[1].Peers);
        Assert.Equal(StunMethod.Send, sent[2].Method);
        Assert.Equal([PeerA], sent[2].Peers);
        Assert.Equal("hello", Encoding.UTF8.GetString(sent[2].Data!));
        Assert.False(sent[2].HasIntegrity);
        Assert.Equal(StunMethod.ChannelBind, sent[3].Method);
        SentMessage last = sent[^1];
        Assert.True(last.IsChannelData);
        Assert.Equal(sent[3].Channel, last.Channel);
        Assert.Equal("world", Encoding.UTF8.GetString(last.Data!));
        Assert.Equal(4 + 5, last.Raw.Length);
    }

    [Fact]
    public async Task FailedChannelBindFallsBackToSendIndications()
    {
        await _client.AllocateAsync().WaitAsync(Patience);
        _server.Refuse[StunMethod.ChannelBind] = StunErrorCodes.BadRequest;

        await _client.Relay.SendAsync(Bytes("one"), PeerA).AsTask().WaitAsync(Patience);
        var error = await Assert.ThrowsAsync<StunErrorResponseException>(() => _client.BindChannelAsync(PeerA).WaitAsync(Patience));
        await _client.Relay.SendAsync(Bytes("two"), PeerA).AsTask().WaitAsync(Patience);

        Assert.Equal(StunErrorCodes.BadRequest, error.ErrorCode);
        Assert.DoesNotContain(_server.Sent, m => m.IsChannelData);
        Assert.Equal(["one", "two"], _server.Sent.Where(m => m.Method == StunMethod.Send).Select(m => Encoding.UTF8.GetString(m.Data!)));
    }

    [Fact]
    public async Task DisposeReleasesTheAllocationWithLifetimeZero()
    {
        await _client.AllocateAsync().WaitAsync(Patience);

        await _client.DisposeAsync();

        SentMessage release = _server.Requests(StunMethod.Refresh).Last();
        Assert.Equal(0u, release.Lifetime);
        Assert.True(StunMessageReader.Parse(release.Raw).VerifyMessageIntegrity(FakeTurnServer.Key()));
        await Assert.ThrowsAsync<TurnAllocationLostException>(() => _client.Relay.SendAsync(Bytes("x"), PeerA).AsTask());
    }

    [Fact]
    public async Task MalformedAndMismatchedResponsesAreIgnored()
    {
        _server.Answer = false;
        Task<TurnAllocation> allocating = _client.AllocateAsync();
        await WaitUntil(() => _server.Requests(StunMethod.Allocate).Count() == 1, "the Allocate is sent");
        SentMessage unsigned = _server.Requests(StunMethod.Allocate).Single();

        _server.Deliver([0x01, 0x02, 0x03]);
        _server.Deliver(Response(StunMethod.Allocate, TransactionId.NewRandom(), StunErrorCodes.Unauthorized));
        _server.Deliver(Response(StunMethod.Refresh, unsigned.Id, StunErrorCodes.Unauthorized));
        _server.Deliver(Response(StunMethod.Allocate, unsigned.Id, errorCode: null));
        _server.Deliver(_server.Respond(unsigned)!, from: new IPEndPoint(IPAddress.Parse("192.0.2.99"), 3478));
        _server.Deliver(_server.Respond(unsigned)!);
        await WaitUntil(() => _server.Requests(StunMethod.Allocate).Count() == 2, "the signed Allocate is sent");
        SentMessage signed = _server.Requests(StunMethod.Allocate).Last();

        _server.Deliver(SignedSuccess(signed, withRelayedAddress: true, key: StunCredentials.LongTermKey("mallory", FakeTurnServer.Realm, "guess")));
        _server.Deliver(SignedSuccess(signed, withRelayedAddress: true, key: null));
        _server.Deliver(SignedSuccess(signed, withRelayedAddress: false, key: FakeTurnServer.Key()));
        _server.Deliver(_server.Respond(signed)!);

        TurnAllocation allocation = await allocating.WaitAsync(Patience);
        Assert.Equal(FakeTurnServer.Relayed, allocation.RelayedEndPoint);
        Assert.Equal(2, _server.Requests(StunMethod.Allocate).Count());
    }

    [Fact]
    public async Task RelayedDataArrivesFromDataIndicationsAndChannelDataWithThePeersAddress()
    {
        await _client.AllocateAsync().WaitAsync(Patience);
        await _client.CreatePermissionAsync([PeerA]).WaitAsync(Patience);
        var buffer = new byte[64];

        _server.Deliver(DataIndication(PeerA, "ping"));
        DatagramReceiveResult first = await _client.Relay.ReceiveAsync(buffer).AsTask().WaitAsync(Patience);
        Assert.Equal(PeerA, first.RemoteEndPoint);
        Assert.Equal("ping", Encoding.UTF8.GetString(buffer, 0, first.Count));

        ushort channel = await _client.BindChannelAsync(PeerA).WaitAsync(Patience);
        var unknownPeer = new IPEndPoint(IPAddress.Parse("203.0.113.99"), 7000);
        _server.Deliver(DataIndication(unknownPeer, "no permission"));
        _server.Deliver(ChannelData((ushort)(channel + 1), "unbound channel"));
        _server.Deliver(ChannelData(channel, "from a stranger"), from: new IPEndPoint(IPAddress.Parse("192.0.2.99"), 3478));
        _server.Deliver(ChannelData(channel, "pong"));
        DatagramReceiveResult second = await _client.Relay.ReceiveAsync(buffer).AsTask().WaitAsync(Patience);
        Assert.Equal(PeerA, second.RemoteEndPoint);
        Assert.Equal("pong", Encoding.UTF8.GetString(buffer, 0, second.Count));

        // A permission covers the IP address on every port (RFC 8656 §9).
        var otherPort = new IPEndPoint(PeerA.Address, 6999);
        _server.Deliver(DataIndication(otherPort, "new port"));
        DatagramReceiveResult third = await _client.Relay.ReceiveAsync(buffer).AsTask().WaitAsync(Patience);
        Assert.Equal(otherPort, third.RemoteEndPoint);
        Assert.Equal("new port", Encoding.UTF8.GetString(buffer, 0, third.Count));
    }

    [Fact]
    public async Task OverStreamsRequestsAreSentOnceAndChannelDataIsPadded()
    {
        (_server, _client) = Start(Options(_time), reliable: true);
        await _client.AllocateAsync().WaitAsync(Patience);
        await _client.BindChannelAsync(PeerA).WaitAsync(Patience);

        await _client.Relay.SendAsync(Bytes("12345"), PeerA).AsTask().WaitAsync(Patience);
        SentMessage frame = _server.Sent.Last(m => m.IsChannelData);
        Assert.Equal(4 + 8, frame.Raw.Length);
        Assert.Equal("12345", Encoding.UTF8.GetString(frame.Data!));

        _server.Answer = false;
        Task permission = _client.CreatePermissionAsync([PeerB]);
        await WaitUntil(() => _server.Requests(StunMethod.CreatePermission).Any(), "the CreatePermission is sent");
        _time.Advance(TimeSpan.FromSeconds(39));
        Assert.Single(_server.Requests(StunMethod.CreatePermission));
        _time.Advance(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAsync<StunTimeoutException>(() => permission.WaitAsync(Patience));
        Assert.Single(_server.Requests(StunMethod.CreatePermission));
    }

    [Fact]
    public async Task RestCredentialsAreMintedFromTheSharedSecret()
    {
        (FakeTurnServer server, TurnClient client) = Start(Options(_time) with { Username = null, Password = null, RestSecret = "s3cret", RestUserId = "bob" });
        _ = client.AllocateAsync();
        await WaitUntil(() => server.Requests(StunMethod.Allocate).Count() == 2, "the signed Allocate is sent");

        SentMessage signed = server.Requests(StunMethod.Allocate).Last();
        long expiry = (_time.GetUtcNow() + TimeSpan.FromDays(1)).ToUnixTimeSeconds();
        Assert.Equal($"{expiry}:bob", signed.Username);
        byte[] key = StunCredentials.LongTermKey(signed.Username!, FakeTurnServer.Realm, TurnRestCredentials.Password("s3cret", signed.Username!));
        Assert.True(StunMessageReader.Parse(signed.Raw).VerifyMessageIntegrity(key));
    }

    [Fact]
    public void OptionsAreValidatedUpFront()
    {
        TurnClientOptions valid = Options(_time);
        Assert.Throws<ArgumentException>(() => (valid with { Password = null }).Validate());
        Assert.Throws<ArgumentException>(() => (valid with { RestSecret = "s", RestUserId = "u" }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => (valid with { RequestedLifetime = TimeSpan.FromSeconds(1) }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => (valid with { ReceiveQueueCapacity = 0 }).Validate());
        valid.Validate();
    }

    private static byte[] Response(StunMethod method, TransactionId id, int? errorCode)
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, new StunMessageType(method, StunMessageClass.ErrorResponse), id);
        if (errorCode is int code)
        {
            writer.WriteErrorCode(code, StunErrorCodes.ReasonPhrase(code));
            writer.WriteString(StunAttributeType.Realm, FakeTurnServer.Realm);
            writer.WriteString(StunAttributeType.Nonce, "forged");
        }

        return buffer[..writer.Length];
    }

    private static byte[] SignedSuccess(SentMessage request, bool withRelayedAddress, byte[]? key)
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, new StunMessageType(StunMethod.Allocate, StunMessageClass.SuccessResponse), request.Id);
        if (withRelayedAddress)
        {
            writer.WriteXorAddress(StunAttributeType.XorRelayedAddress, new IPEndPoint(IPAddress.Parse("192.0.2.66"), 1));
        }

        writer.WriteUInt32(StunAttributeType.Lifetime, 600);
        if (key is not null)
        {
            writer.WriteMessageIntegrity(key);
        }

        return buffer[..writer.Length];
    }

    internal static byte[] DataIndication(IPEndPoint peer, string text)
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, new StunMessageType(StunMethod.Data, StunMessageClass.Indication), TransactionId.NewRandom());
        writer.WriteXorAddress(StunAttributeType.XorPeerAddress, peer);
        writer.WriteAttribute(StunAttributeType.Data, Bytes(text));
        return buffer[..writer.Length];
    }

    internal static byte[] ChannelData(ushort channel, string text)
    {
        var buffer = new byte[256];
        return buffer[..ChannelDataFrame.Write(buffer, channel, Bytes(text), padded: false)];
    }
}
