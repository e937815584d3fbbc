namespace PeerConnect.Turn.Server;

/// <summary>Looks up long-term credentials (RFC 8489 §9.2): the edge where a deployment plugs in its user store.</summary>
public interface ITurnAuthenticator
{
    /// <summary>
    /// The passwords that are valid for <paramref name="username"/> right now: none for an unknown or expired user,
    /// two while a shared secret is being rotated. The server accepts the request if any of them verifies it.
    /// </summary>
    IReadOnlyList<string> PasswordsFor(string username);
}

/// <summary>
/// The built-in credential store: static users from <see cref="TurnServerOptions.Users"/>, and TURN REST API
/// credentials (<c>expiry:user</c>, base64(HMAC-SHA1(secret, user name))) under
/// <see cref="TurnServerOptions.AuthSecret"/> and, during rotation, <see cref="TurnServerOptions.PreviousAuthSecret"/>.
/// </summary>
public sealed class TurnCredentialStore : ITurnAuthenticator
{
    private readonly IReadOnlyDictionary<string, string> _users;
    private readonly string? _secret;
    private readonly string? _previousSecret;
    private readonly TimeProvider _time;

    /// <summary>Builds the store from validated options.</summary>
    public TurnCredentialStore(TurnServerOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _users = options.Users;
        _secret = options.AuthSecret;
        _previousSecret = options.PreviousAuthSecret;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public IReadOnlyList<string> PasswordsFor(string username)
    {
        ArgumentNullException.ThrowIfNull(username);
        if (_users.TryGetValue(username, out string? password))
        {
            return [password];
        }
        if (_secret is null || !TurnRestCredentials.TryGetExpiry(username, out var expiry) || expiry <= _time.GetUtcNow())
        {
            return [];
        }
        return _previousSecret is null
            ? [TurnRestCredentials.Password(_secret, username)]
            : [TurnRestCredentials.Password(_secret, username), TurnRestCredentials.Password(_previousSecret, username)];
    }
}
