using Microsoft.Extensions.Options;

namespace PeerConnect.Server.Signaling;

/// <summary>Refuses to start on settings that would make the server misbehave rather than fail loudly later.</summary>
internal sealed class SignalingOptionsValidator : IValidateOptions<SignalingOptions>
{
    public ValidateOptionsResult Validate(string? name, SignalingOptions options)
    {
        var failures = new List<string>();
        void Require(bool condition, string message)
        {
            if (!condition)
            {
                failures.Add($"{SignalingOptions.SectionName}:{message}");
            }
        }

        Require(options.HeartbeatInterval > TimeSpan.Zero, "HeartbeatInterval must be positive.");
        Require(options.IdleTimeout > options.HeartbeatInterval, "IdleTimeout must be longer than HeartbeatInterval.");
        Require(options.ResumeWindow >= TimeSpan.Zero, "ResumeWindow must not be negative.");
        Require(options.MaxMessageBytes is >= 1024 and <= 16 * 1024 * 1024, "MaxMessageBytes must be from 1 KiB to 16 MiB.");
        Require(options.RateLimitPerSecond > 0, "RateLimitPerSecond must be positive.");
        Require(options.RateLimitBurst >= 1, "RateLimitBurst must be at least 1.");
        Require(options.MaxMembersPerRoom >= 2, "MaxMembersPerRoom must be at least 2.");
        Require(options.MaxRooms >= 1, "MaxRooms must be at least 1.");
        Require(options.MaxRoomsPerSession >= 1, "MaxRoomsPerSession must be at least 1.");
        Require(options.MaxConnections >= 1, "MaxConnections must be at least 1.");
        Require(options.MaxUnackedMessages >= 16, "MaxUnackedMessages must be at least 16.");
        Require(options.PresenceTimeout >= TimeSpan.FromSeconds(1), "PresenceTimeout must be at least 1 s.");
        Require(options.Redis is null || !string.IsNullOrWhiteSpace(options.Redis), "Redis must be a connection string when set.");
        Require(options.WebSocketListener is null || System.Net.IPEndPoint.TryParse(options.WebSocketListener, out _),
            "WebSocketListener must be address:port, e.g. 0.0.0.0:8081.");
        Require(options.HandshakeTimeout > TimeSpan.Zero, "HandshakeTimeout must be positive.");
        Require(options.TurnCredentialLifetime > TimeSpan.Zero, "TurnCredentialLifetime must be positive.");
        foreach (var origin in options.AllowedOrigins)
        {
            Require(Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.AbsolutePath == "/" && origin.TrimEnd('/') == origin,
                $"AllowedOrigins entry '{origin}' must be scheme://host[:port] with no path or trailing slash.");
        }

        foreach (var server in options.IceServers)
        {
            Require(server.Urls.Count > 0, "IceServers entries need at least one URL.");
            foreach (var url in server.Urls)
            {
                Require(url.StartsWith("stun:", StringComparison.Ordinal) || url.StartsWith("turn:", StringComparison.Ordinal) || url.StartsWith("turns:", StringComparison.Ordinal),
                    $"IceServers URL '{url}' must start with stun:, turn: or turns:.");
            }

            Require((server.Username is null) == (server.Credential is null), "IceServers Username and Credential go together.");
        }

        ValidateJwt(options.Jwt, Require);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateJwt(JwtOptions jwt, Action<bool, string> require)
    {
        require(jwt.SigningKey is null || jwt.PublicKeyPem is null, "Jwt: set SigningKey or PublicKeyPem, not both.");
        require(!string.IsNullOrWhiteSpace(jwt.UserIdClaim) && !string.IsNullOrWhiteSpace(jwt.RoomsClaim), "Jwt: UserIdClaim and RoomsClaim must not be empty.");
        if (jwt.SigningKey is not null)
        {
            var key = new byte[jwt.SigningKey.Length];
            require(Convert.TryFromBase64String(jwt.SigningKey, key, out var length) && length >= 32, "Jwt:SigningKey must be base64 of at least 32 bytes.");
        }

        if (jwt.PublicKeyPem is not null)
        {
            require(JwtKeys.TryLoadPublicKey(jwt.PublicKeyPem, out _), "Jwt:PublicKeyPem must be an RSA or EC public key in PEM.");
        }
    }
}
