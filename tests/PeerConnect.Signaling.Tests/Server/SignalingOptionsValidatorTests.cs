using PeerConnect.Server.Signaling;

namespace PeerConnect.Signaling.Tests.Server;

public sealed class SignalingOptionsValidatorTests
{
    private readonly SignalingOptionsValidator _validator = new();

    [Fact]
    public void TheDefaultsAreValid() => Assert.True(_validator.Validate(null, new SignalingOptions()).Succeeded);

    [Fact]
    public void IdleTimeoutMustExceedTheHeartbeat() =>
        Assert.True(_validator.Validate(null, new SignalingOptions { IdleTimeout = TimeSpan.FromSeconds(15) }).Failed);

    [Fact]
    public void AnOriginWithAPathIsRefused() =>
        Assert.True(_validator.Validate(null, new SignalingOptions { AllowedOrigins = ["https://app.example/path"] }).Failed);

    [Fact]
    public void AShortHmacKeyIsRefused() =>
        Assert.True(_validator.Validate(null, new SignalingOptions { Jwt = new JwtOptions { SigningKey = Convert.ToBase64String(new byte[16]) } }).Failed);

    [Fact]
    public void BothJwtKeysAtOnceAreRefused() =>
        Assert.True(_validator.Validate(null, new SignalingOptions { Jwt = new JwtOptions { SigningKey = Convert.ToBase64String(new byte[32]), PublicKeyPem = "x" } }).Failed);

    [Fact]
    public void IceServerUrlsNeedAStunOrTurnScheme() =>
        Assert.True(_validator.Validate(null, new SignalingOptions { IceServers = [new IceServerOptions { Urls = ["http://x"] }] }).Failed);

    [Fact]
    public void TheServerRefusesToStartOnInvalidSettings()
    {
        var error = Assert.ThrowsAny<Exception>(() => Infrastructure.SignalingServer.Start(new Dictionary<string, string?>
        {
            ["PeerConnect:Signaling:MaxMessageBytes"] = "10",
        }));
        Assert.Contains("MaxMessageBytes", error.ToString(), StringComparison.Ordinal);
    }
}
