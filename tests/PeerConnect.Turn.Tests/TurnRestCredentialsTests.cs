using Microsoft.Extensions.Time.Testing;

namespace PeerConnect.Turn.Tests;

/// <summary>TURN REST API credentials as coturn's static-auth-secret checks them.</summary>
public sealed class TurnRestCredentialsTests
{
    [Fact]
    public void UsernameIsExpiryColonUserAndPasswordIsBase64HmacSha1()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        (string username, string password) = TurnRestCredentials.Create("north", "alice", TimeSpan.FromHours(1), clock);

        Assert.Equal("1700003600:alice", username);
        // HMAC-SHA1(key "north", "1700003600:alice"), computed independently with openssl:
        // printf '1700003600:alice' | openssl dgst -sha1 -hmac north -binary | base64
        Assert.Equal("wjwSXO2ch1B6VaLTLMy2Avn5O9o=", password);
    }

    [Fact]
    public void ExpiryIsReadBackFromTheUsername()
    {
        Assert.True(TurnRestCredentials.TryGetExpiry("1700003600:alice", out DateTimeOffset expiry));
        Assert.Equal(1_700_003_600, expiry.ToUnixTimeSeconds());
        Assert.True(TurnRestCredentials.TryGetExpiry("1700003600", out _));
        Assert.False(TurnRestCredentials.TryGetExpiry("alice:1700003600", out _));
        Assert.False(TurnRestCredentials.TryGetExpiry("-5:alice", out _));
        Assert.False(TurnRestCredentials.TryGetExpiry("99999999999999999999:alice", out _));
    }
}
