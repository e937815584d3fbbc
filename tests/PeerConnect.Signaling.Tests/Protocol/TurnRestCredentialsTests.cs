using Microsoft.Extensions.Time.Testing;

namespace PeerConnect.Signaling.Tests.Protocol;

public sealed class TurnRestCredentialsTests
{
    [Fact]
    public void UsernameIsExpiryColonUserAndCredentialIsBase64HmacSha1()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));

        var (username, credential) = TurnRestCredentials.Create("north-pole-secret", "alice", TimeSpan.FromMinutes(10), clock);

        Assert.Equal("1700000600:alice", username);
        // Computed independently (openssl dgst -sha1 -hmac): HMAC-SHA1 = cf47a4097c1414e25cfdf61eb1f3b041fb5d808d.
        Assert.Equal("z0ekCXwUFOJc/fYesfOwQftdgI0=", credential);
    }

    [Fact]
    public void AUserIdWithAColonIsRefused() =>
        Assert.Throws<ArgumentException>(() => TurnRestCredentials.Create("s", "a:b", TimeSpan.FromMinutes(1), TimeProvider.System));
}
