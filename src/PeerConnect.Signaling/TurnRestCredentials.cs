using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PeerConnect.Signaling;

/// <summary>
/// Time-limited TURN credentials in the "TURN REST API" scheme (draft-uberti-behave-turn-rest-00), which coturn
/// checks with <c>use-auth-secret</c>/<c>static-auth-secret</c>:
/// <code>
/// username   = "&lt;expiry as Unix seconds&gt;:&lt;user id&gt;"
/// credential = base64( HMAC-SHA1( shared secret, username ) )
/// </code>
/// </summary>
public static class TurnRestCredentials
{
    /// <summary>Creates a username/credential pair valid for <paramref name="lifetime"/> from now.</summary>
    /// <param name="secret">The shared secret the TURN server also knows.</param>
    /// <param name="userId">Who the credentials are for; must not contain ':'.</param>
    /// <param name="lifetime">How long the TURN server should accept them.</param>
    /// <param name="timeProvider">The clock.</param>
    public static (string Username, string Credential) Create(string secret, string userId, TimeSpan lifetime, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (userId.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException("The user id must not contain ':' (it separates the expiry).", nameof(userId));
        }

        var expiry = timeProvider.GetUtcNow().Add(lifetime).ToUnixTimeSeconds();
        var username = expiry.ToString(CultureInfo.InvariantCulture) + ":" + userId;
        return (username, CredentialFor(secret, username));
    }

    /// <summary>The credential for a given username: base64(HMAC-SHA1(secret, username)).</summary>
    public static string CredentialFor(string secret, string username)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentNullException.ThrowIfNull(username);
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(username));
        return Convert.ToBase64String(mac);
    }
}
