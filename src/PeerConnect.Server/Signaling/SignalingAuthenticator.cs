using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PeerConnect.Server.Signaling;

/// <summary>
/// Anonymous unless a JWT key is configured; then every connection and API call needs a valid token, taken from
/// <c>Authorization: Bearer</c> or, since browsers cannot set headers on a WebSocket, the <c>access_token</c> query parameter.
/// </summary>
internal sealed class SignalingAuthenticator
{
    private readonly JwtOptions _options;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters? _parameters;

    public SignalingAuthenticator(IOptions<SignalingOptions> options, TimeProvider timeProvider)
    {
        _options = options.Value.Jwt;
        if (!_options.Enabled)
        {
            return;
        }

        var (key, algorithms) = JwtKeys.Load(_options);
        _parameters = new TokenValidationParameters
        {
            IssuerSigningKey = key,
            ValidAlgorithms = algorithms,
            ValidateIssuer = _options.Issuer is not null,
            ValidIssuer = _options.Issuer,
            ValidateAudience = _options.Audience is not null,
            ValidAudience = _options.Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            LifetimeValidator = (notBefore, expires, _, _) => IsWithinLifetime(notBefore, expires, timeProvider.GetUtcNow().UtcDateTime),
        };
    }

    public bool IsEnabled => _parameters is not null;

    /// <summary>The caller, or <see langword="null"/> when a token is required and missing or invalid.</summary>
    public async ValueTask<SignalingPrincipal?> AuthenticateAsync(HttpRequest request)
    {
        if (_parameters is null)
        {
            return SignalingPrincipal.Anonymous;
        }

        var token = TokenFrom(request);
        if (token is null)
        {
            return null;
        }

        var result = await _handler.ValidateTokenAsync(token, _parameters).ConfigureAwait(false);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return null;
        }

        if (!jwt.TryGetPayloadValue<string>(_options.UserIdClaim, out var userId) || string.IsNullOrEmpty(userId) || userId.Length > 256)
        {
            return null;
        }

        var rooms = new HashSet<string>(StringComparer.Ordinal);
        foreach (var claim in jwt.Claims)
        {
            if (claim.Type == _options.RoomsClaim)
            {
                if (claim.Value == "*")
                {
                    return new SignalingPrincipal(userId, null);
                }

                rooms.Add(claim.Value);
            }
        }

        return new SignalingPrincipal(userId, rooms);
    }

    /// <summary>The library's own lifetime check reads the system clock; this one reads the injected <see cref="TimeProvider"/>.</summary>
    private static bool IsWithinLifetime(DateTime? notBefore, DateTime? expires, DateTime now)
    {
        var skew = TimeSpan.FromSeconds(30);
        return expires is not null && now < expires.Value + skew && (notBefore is null || now + skew >= notBefore.Value);
    }

    private static string? TokenFrom(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        var query = request.Query["access_token"].ToString();
        return query.Length > 0 ? query : null;
    }
}
