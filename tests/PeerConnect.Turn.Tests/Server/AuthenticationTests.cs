using PeerConnect.Stun;
using PeerConnect.Turn.Server;

namespace PeerConnect.Turn.Tests.Server;

/// <summary>Long-term credentials (RFC 8489 §9.2), TURN REST credentials and the unauthenticated answers.</summary>
public sealed class AuthenticationTests
{
    [Fact]
    public async Task RequestWithoutIntegrityGets401WithRealmNonceAndPasswordAlgorithms()
    {
        await using var h = new TurnServerHarness();
        var challenge = h.Challenge();
        var reader = challenge.Reader;
        Assert.True(reader.TryGetString(StunAttributeType.Realm, out string realm));
        Assert.Equal("peerconnect", realm);
        Assert.StartsWith("obMatJos2", challenge.Nonce, StringComparison.Ordinal);
        Span<StunPasswordAlgorithm> algorithms = stackalloc StunPasswordAlgorithm[4];
        Assert.Equal(2, reader.CopyPasswordAlgorithms(algorithms));
        Assert.Equal(StunPasswordAlgorithm.Sha256, algorithms[0]);
    }

    [Fact]
    public async Task ValidCredentialsAllocateAndTheResponseIsSigned()
    {
        await using var h = new TurnServerHarness();
        var response = h.Allocate();
        Assert.True(response.IsSuccess);
        Assert.True(response.Reader.VerifyMessageIntegrity(StunCredentials.LongTermKey(TurnServerHarness.User, "peerconnect", TurnServerHarness.Password)));
    }

    [Fact]
    public async Task WrongCredentialsGet401()
    {
        await using var h = new TurnServerHarness { UserPassword = "not-the-password" };
        var response = h.Allocate();
        Assert.Equal(StunErrorCodes.Unauthorized, response.ErrorCode);
        Assert.NotNull(response.Nonce);
        Assert.Equal(0, h.Server.AllocationCount);
    }

    [Fact]
    public async Task UnknownUserGets401()
    {
        await using var h = new TurnServerHarness { Username = "mallory" };
        Assert.Equal(StunErrorCodes.Unauthorized, h.Allocate().ErrorCode);
    }

    [Fact]
    public async Task IntegrityWithoutUsernameGets400()
    {
        await using var h = new TurnServerHarness();
        h.Challenge();
        var request = TurnServerHarness.Build(StunMethod.Allocate, (ref StunMessageWriter w) =>
        {
            w.WriteRequestedTransport(TurnTransport.Udp);
            w.WriteString(StunAttributeType.Realm, "peerconnect");
            w.WriteString(StunAttributeType.Nonce, h.Nonce!);
            w.WriteMessageIntegrity(new byte[16]);
        });
        Assert.Equal(StunErrorCodes.BadRequest, h.Send(request)!.ErrorCode);
    }

    [Fact]
    public async Task StaleNonceGets438()
    {
        await using var h = new TurnServerHarness();
        h.Challenge();
        h.Time.Advance(h.Options.NonceLifetime + TimeSpan.FromSeconds(1));
        var response = h.Allocate();
        Assert.Equal(StunErrorCodes.StaleNonce, response.ErrorCode);

        // The client retries with the fresh nonce from the 438 and succeeds (RFC 8489 §9.2.5).
        h.Nonce = response.Nonce;
        Assert.True(h.Allocate().IsSuccess);
    }

    [Fact]
    public async Task ForgedNonceGets438()
    {
        await using var h = new TurnServerHarness { Nonce = "obMatJos2gAAA6789abcdAAAAAAAAAAA" };
        Assert.Equal(StunErrorCodes.StaleNonce, h.Allocate().ErrorCode);
    }

    [Fact]
    public async Task NonceFromAnotherClientAddressGets438()
    {
        await using var h = new TurnServerHarness();
        h.Challenge();
        var other = TurnAddress.FromEndPoint(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("127.0.0.9"), 40_000));
        var response = h.Send(h.BuildSigned(StunMethod.Allocate, static (ref StunMessageWriter w) => w.WriteRequestedTransport(TurnTransport.Udp)), other)!;
        Assert.Equal(StunErrorCodes.StaleNonce, response.ErrorCode);
    }

    [Fact]
    public async Task RestCredentialsAreAccepted()
    {
        await using var h = new TurnServerHarness();
        var (username, password) = TurnRestCredentials.Create(TurnServerHarness.Secret, "carol", TimeSpan.FromHours(1), h.Time);
        h.Username = username;
        h.UserPassword = password;
        Assert.True(h.Allocate().IsSuccess);
    }

    [Fact]
    public async Task ExpiredRestUsernameGets401()
    {
        await using var h = new TurnServerHarness();
        var (username, password) = TurnRestCredentials.Create(TurnServerHarness.Secret, "carol", TimeSpan.FromMinutes(5), h.Time);
        h.Username = username;
        h.UserPassword = password;
        h.Time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(StunErrorCodes.Unauthorized, h.Allocate().ErrorCode);
    }

    [Fact]
    public async Task PreviousSecretIsAcceptedDuringRotation()
    {
        await using var h = new TurnServerHarness(configure: o => o with { AuthSecret = "new-secret", PreviousAuthSecret = TurnServerHarness.Secret });
        var (username, password) = TurnRestCredentials.Create(TurnServerHarness.Secret, "carol", TimeSpan.FromHours(1), h.Time);
        h.Username = username;
        h.UserPassword = password;
        Assert.True(h.Allocate().IsSuccess);
    }

    [Fact]
    public async Task SecretOlderThanThePreviousOneGets401()
    {
        await using var h = new TurnServerHarness(configure: o => o with { AuthSecret = "new-secret", PreviousAuthSecret = "middle-secret" });
        var (username, password) = TurnRestCredentials.Create(TurnServerHarness.Secret, "carol", TimeSpan.FromHours(1), h.Time);
        h.Username = username;
        h.UserPassword = password;
        Assert.Equal(StunErrorCodes.Unauthorized, h.Allocate().ErrorCode);
    }

    [Fact]
    public async Task Sha256PasswordAlgorithmIsUsedWhenTheClientChoosesIt()
    {
        await using var h = new TurnServerHarness { EchoAlgorithms = true, Algorithm = StunPasswordAlgorithm.Sha256, UseSha256Integrity = true };
        var response = h.Allocate();
        Assert.True(response.IsSuccess);
        byte[] key = StunCredentials.LongTermKey(TurnServerHarness.User, "peerconnect", TurnServerHarness.Password, StunPasswordAlgorithm.Sha256);
        Assert.True(response.Reader.VerifyMessageIntegritySha256(key));
    }

    [Fact]
    public async Task PasswordAlgorithmWithoutTheEchoedListGets400()
    {
        await using var h = new TurnServerHarness();
        h.Challenge();
        var request = TurnServerHarness.Build(StunMethod.Allocate, (ref StunMessageWriter w) =>
        {
            w.WriteRequestedTransport(TurnTransport.Udp);
            w.WritePasswordAlgorithm(StunPasswordAlgorithm.Sha256);
            w.WriteString(StunAttributeType.Username, TurnServerHarness.User);
            w.WriteString(StunAttributeType.Realm, "peerconnect");
            w.WriteString(StunAttributeType.Nonce, h.Nonce!);
            w.WriteMessageIntegrity(StunCredentials.LongTermKey(TurnServerHarness.User, "peerconnect", TurnServerHarness.Password, StunPasswordAlgorithm.Sha256));
        });
        Assert.Equal(StunErrorCodes.BadRequest, h.Send(request)!.ErrorCode);
    }

    [Fact]
    public async Task OtherUsersAllocationGets441()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        h.Username = "bob";
        h.UserPassword = "builder";
        Assert.Equal(StunErrorCodes.WrongCredentials, h.Refresh(600).ErrorCode);
        Assert.Equal(StunErrorCodes.WrongCredentials, h.CreatePermission(TurnServerHarness.Peer).ErrorCode);
    }

    [Fact]
    public async Task BrowserSizedAllocateGetsAChallengeOverUdpByDefault()
    {
        await using var h = new TurnServerHarness();
        // 36 bytes, as a browser sends: the default limit (3×) leaves room for a 401 with REALM and NONCE.
        var tiny = TurnServerHarness.Build(StunMethod.Allocate, static (ref StunMessageWriter w) =>
        {
            w.WriteRequestedTransport(TurnTransport.Udp);
            w.WriteFingerprint();
        });
        var challenge = h.Send(tiny)!;
        Assert.Equal(StunErrorCodes.Unauthorized, challenge.ErrorCode);
        Assert.True(challenge.Bytes.Length <= tiny.Length * TurnServerOptions.DefaultUnauthenticatedAmplificationLimit);
        h.Nonce = challenge.Nonce;
        Assert.True(h.Allocate().IsSuccess);
    }

    [Fact]
    public async Task UnauthenticatedResponseIsNeverLargerThanTheRequestOverUdpWithLimitOne()
    {
        await using var h = new TurnServerHarness(configure: o => o with { UnauthenticatedAmplificationLimit = 1 });
        // A bare Allocate (header + REQUESTED-TRANSPORT + FINGERPRINT, 36 bytes) is smaller than any challenge.
        var tiny = TurnServerHarness.Build(StunMethod.Allocate, static (ref StunMessageWriter w) =>
        {
            w.WriteRequestedTransport(TurnTransport.Udp);
            w.WriteFingerprint();
        });
        Assert.Null(h.Send(tiny));

        // Padded enough for the minimal challenge (REALM and a plain NONCE) but not the full one.
        var medium = TurnServerHarness.Build(StunMethod.Allocate, static (ref StunMessageWriter w) =>
        {
            w.WriteRequestedTransport(TurnTransport.Udp);
            w.WriteString(StunAttributeType.Software, "padding padding padding padding padding ");
        });
        var minimal = h.Send(medium)!;
        Assert.Equal(StunErrorCodes.Unauthorized, minimal.ErrorCode);
        Assert.True(minimal.Bytes.Length <= medium.Length);
        Assert.DoesNotContain("obMatJos2", minimal.Nonce, StringComparison.Ordinal);
        Assert.Equal(0, minimal.Count(StunAttributeType.PasswordAlgorithms));
    }

    [Fact]
    public async Task MinimalChallengeNonceStillAuthenticates()
    {
        await using var h = new TurnServerHarness(configure: o => o with { UnauthenticatedAmplificationLimit = 1 });
        var medium = TurnServerHarness.Build(StunMethod.Allocate, static (ref StunMessageWriter w) =>
        {
            w.WriteRequestedTransport(TurnTransport.Udp);
            w.WriteString(StunAttributeType.Software, "padding padding padding padding padding ");
        });
        h.Nonce = h.Send(medium)!.Nonce;
        Assert.True(h.Allocate().IsSuccess);
    }

    [Fact]
    public async Task StreamClientsGetTheFullChallengeWhateverTheRequestSize()
    {
        await using var h = new TurnServerHarness(transport: TurnClientTransport.Tcp);
        var tiny = TurnServerHarness.Build(StunMethod.Allocate, static (ref StunMessageWriter w) => w.WriteRequestedTransport(TurnTransport.Udp));
        var challenge = h.Send(tiny)!;
        Assert.Equal(StunErrorCodes.Unauthorized, challenge.ErrorCode);
        Assert.Equal(1, challenge.Count(StunAttributeType.PasswordAlgorithms));
    }

    [Fact]
    public async Task UnauthenticatedRequestsAreRateLimitedPerSource()
    {
        await using var h = new TurnServerHarness(configure: o => o with { UnauthenticatedResponsesPerSecond = 5 });
        int answered = 0;
        for (int i = 0; i < 100; i++)
        {
            answered += h.Send(TurnServerHarness.Build(StunMethod.Allocate, static (ref StunMessageWriter w) =>
            {
                w.WriteRequestedTransport(TurnTransport.Udp);
                w.WriteString(StunAttributeType.Software, TurnServerHarness.PaddedSoftware);
            })) is null ? 0 : 1;
        }
        Assert.Equal(10, answered); // the burst: two seconds' worth
        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotNull(h.Send(TurnServerHarness.Build(StunMethod.Allocate, static (ref StunMessageWriter w) =>
        {
            w.WriteRequestedTransport(TurnTransport.Udp);
            w.WriteString(StunAttributeType.Software, TurnServerHarness.PaddedSoftware);
        })));
    }
}
