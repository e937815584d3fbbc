using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PeerConnect.Signaling.Client;
using PeerConnect.Signaling.Protocol;
using PeerConnect.Signaling.Tests.Infrastructure;

namespace PeerConnect.Signaling.Tests.Server;

/// <summary>Authentication, origin, connection, rate and idle policies, each refused with its documented error and close code.</summary>
public class PolicyTests
{
    /// <summary>Kestrel's <c>/ws</c> here; the WebSocket listener in <see cref="PolicyTestsOverWebSocketListener"/>.</summary>
    protected virtual SignalingServer StartServer(IReadOnlyDictionary<string, string?>? settings = null) => SignalingServer.Start(settings);

    private static readonly byte[] HmacKey = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Theory]
    [InlineData(SignalingSubprotocols.Json)]
    [InlineData(SignalingSubprotocols.Cbor)]
    public async Task MissingTokenIsUnauthorizedAndClosedWith4001(string encoding)
    {
        await using var server = StartServer(JwtSettings());
        await using var client = await server.ConnectRawAsync(encoding);
        var error = await client.ExpectErrorAsync("unauthorized");
        Assert.Equal(0, error.GetProperty("seq").GetInt64());
        Assert.Equal(SignalingCloseCodes.Unauthorized, await client.ReceiveCloseAsync());
    }

    [Fact]
    public async Task TokenSignedWithAnotherKeyIsUnauthorized()
    {
        await using var server = StartServer(JwtSettings());
        var forged = HsToken("mallory", ["*"], new byte[32]);
        await using var client = await server.ConnectRawAsync(query: "?access_token=" + forged);
        await client.ExpectErrorAsync("unauthorized");
        Assert.Equal(SignalingCloseCodes.Unauthorized, await client.ReceiveCloseAsync());
    }

    [Fact]
    public async Task ExpiredTokenIsUnauthorized()
    {
        await using var server = StartServer(JwtSettings());
        var expired = HsToken("alice", ["*"], HmacKey, DateTime.UtcNow.AddMinutes(-10));
        await using var client = await server.ConnectRawAsync(query: "?access_token=" + expired);
        await client.ExpectErrorAsync("unauthorized");
    }

    [Fact]
    public async Task ValidTokenNamesTheUserAndLimitsTheRooms()
    {
        await using var server = StartServer(JwtSettings());
        var token = HsToken("alice", ["lobby"], HmacKey);
        await using var client = await server.ConnectAsync(configure: o => o with
        {
            AccessTokenProvider = _ => ValueTask.FromResult<string?>(token),
        });
        await using var observer = await server.ConnectAsync(configure: o => o with
        {
            AccessTokenProvider = _ => ValueTask.FromResult<string?>(HsToken("bob", ["*"], HmacKey)),
        });

        await client.JoinAsync("lobby");
        var members = await observer.JoinAsync("lobby");
        Assert.Equal("alice", Assert.Single(members).User);
        var refused = await Assert.ThrowsAsync<SignalingException>(() => client.JoinAsync("vip"));
        Assert.Equal(SignalingErrorCode.Unauthorized, refused.Code);
    }

    [Fact]
    public async Task EcdsaTokensVerifyAgainstTheConfiguredPublicKey()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await using var server = StartServer(new Dictionary<string, string?>
        {
            ["PeerConnect:Signaling:Jwt:PublicKeyPem"] = ecdsa.ExportSubjectPublicKeyInfoPem(),
            ["PeerConnect:Signaling:Jwt:Issuer"] = "https://issuer.test",
        });
        var descriptor = Descriptor("carol", ["*"], DateTime.UtcNow.AddMinutes(5));
        descriptor.Issuer = "https://issuer.test";
        descriptor.SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(ecdsa), SecurityAlgorithms.EcdsaSha256);
        var token = new JsonWebTokenHandler().CreateToken(descriptor);

        await using var client = await server.ConnectRawAsync(configure: o => o.SetRequestHeader("Authorization", "Bearer " + token));
        await client.ExpectAsync("welcome");
    }

    [Fact]
    public async Task IceServerApiNeedsATokenWhenJwtIsOn()
    {
        await using var server = StartServer(JwtSettings());
        using var http = server.CreateHttpClient();
        using var anonymous = await http.GetAsync(new Uri("/api/ice-servers", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/ice-servers");
        request.Headers.Authorization = new("Bearer", HsToken("alice", [], HmacKey));
        using var authorized = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
    }

    [Fact]
    public async Task AWrongOriginIsRefusedWith403BeforeTheUpgrade()
    {
        await using var server = StartServer(new Dictionary<string, string?>
        {
            ["PeerConnect:Signaling:AllowedOrigins:0"] = "https://app.example",
        });
        var refused = await Assert.ThrowsAsync<WebSocketException>(() =>
            server.ConnectRawAsync(configure: o =>
            {
                o.SetRequestHeader("Origin", "https://evil.example");
                o.CollectHttpResponseDetails = true;
            }));
        Assert.Contains("403", refused.Message, StringComparison.Ordinal);

        await using var allowed = await server.ConnectRawAsync(configure: o => o.SetRequestHeader("Origin", "https://app.example"));
        await allowed.ExpectAsync("welcome");
    }

    [Fact]
    public async Task ConnectionsBeyondTheLimitGetLimitExceededAndClose1013()
    {
        await using var server = StartServer(new Dictionary<string, string?> { ["PeerConnect:Signaling:MaxConnections"] = "1" });
        await using var first = await server.ConnectRawAsync();
        await first.ExpectAsync("welcome");
        await using var second = await server.ConnectRawAsync();
        await second.ExpectErrorAsync("limit_exceeded");
        Assert.Equal(SignalingCloseCodes.TryAgainLater, await second.ReceiveCloseAsync());
    }

    [Fact]
    public async Task RoomsBeyondTheServerLimitAreLimitExceeded()
    {
        await using var server = StartServer(new Dictionary<string, string?> { ["PeerConnect:Signaling:MaxRooms"] = "1" });
        await using var client = await server.ConnectRawAsync();
        await client.ExpectAsync("welcome");
        await client.SendJsonAsync("""{"type":"join","room":"one"}""");
        await client.ExpectAsync("joined");
        await client.SendJsonAsync("""{"type":"join","room":"two"}""");
        await client.ExpectErrorAsync("limit_exceeded");
    }

    [Theory]
    [InlineData(SignalingSubprotocols.Json)]
    [InlineData(SignalingSubprotocols.Cbor)]
    public async Task AFloodIsRateLimitedThenClosedWith4029(string encoding)
    {
        await using var server = StartServer(new Dictionary<string, string?>
        {
            ["PeerConnect:Signaling:RateLimitPerSecond"] = "1",
            ["PeerConnect:Signaling:RateLimitBurst"] = "5",
        });
        await using var client = await server.ConnectRawAsync(encoding);
        await client.ExpectAsync("welcome");
        for (var i = 0; i < 30; i++)
        {
            await client.SendJsonAsync("""{"type":"ack","through":0}""");
        }

        await client.ExpectErrorAsync("rate_limited");
        Assert.Equal(SignalingCloseCodes.RateLimited, await client.ReceiveCloseAsync());
    }

    [Fact]
    public async Task ASilentConnectionIsClosedWith4008()
    {
        await using var server = StartServer(new Dictionary<string, string?>
        {
            ["PeerConnect:Signaling:HeartbeatInterval"] = "00:00:00.200",
            ["PeerConnect:Signaling:IdleTimeout"] = "00:00:00.500",
        });
        await using var client = await server.ConnectRawAsync();
        Assert.Equal(SignalingCloseCodes.IdleTimeout, await client.ReceiveCloseAsync());
    }

    private static Dictionary<string, string?> JwtSettings() => new()
    {
        ["PeerConnect:Signaling:Jwt:SigningKey"] = Convert.ToBase64String(HmacKey),
    };

    private static string HsToken(string user, string[] rooms, byte[] key, DateTime? expires = null)
    {
        var descriptor = Descriptor(user, rooms, expires ?? DateTime.UtcNow.AddMinutes(5));
        if (expires < DateTime.UtcNow)
        {
            descriptor.NotBefore = expires.Value.AddMinutes(-5);
            descriptor.IssuedAt = expires.Value.AddMinutes(-5);
        }

        descriptor.SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256);
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    private static SecurityTokenDescriptor Descriptor(string user, string[] rooms, DateTime expires) => new()
    {
        Claims = new Dictionary<string, object> { ["sub"] = user, ["rooms"] = rooms },
        Expires = expires,
    };
}

/// <summary>The same tests with clients on the WebSocket-only listener (<c>PeerConnect:Signaling:WebSocketListener</c>).</summary>
public sealed class PolicyTestsOverWebSocketListener : PolicyTests
{
    protected override SignalingServer StartServer(IReadOnlyDictionary<string, string?>? settings = null) =>
        SignalingServer.Start(settings, viaWebSocketListener: true);
}
