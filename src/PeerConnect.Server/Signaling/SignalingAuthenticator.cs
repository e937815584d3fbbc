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
    public ValueTask<SignalingPrincipal?> AuthenticateAsync(HttpRequest request) =>
        AuthenticateAsync(TokenFrom(request.Headers.Authorization.ToString(), request.Query["access_token"].ToString()));

    /// <summary>The caller holding <paramref name="token"/>, or <see langword="null"/> when a token is required and missing or invalid.</summary>
    public async ValueTask<SignalingPrincipal?> AuthenticateAsync(string? token)
    {
        if (_parameters is null)
        {
            return SignalingPrincipal.Anonymous;
        }

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

    /// <summary>The token from an <c>Authorization: Bearer</c> header, else from the <c>access_token</c> parameter.</summary>
    public static string? TokenFrom(string? authorization, string? accessToken)
    {
        if (authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        return string.IsNullOrEmpty(accessToken) ? null : accessToken;
    }
}
