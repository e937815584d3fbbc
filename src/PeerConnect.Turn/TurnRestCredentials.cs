using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PeerConnect.Turn;

/// <summary>
/// Short-lived TURN credentials in the "TURN REST API" style that coturn's <c>static-auth-secret</c>
/// checks: username <c>expiry-unix-time:user-id</c>, password base64(HMAC-SHA1(secret, username)).
/// </summary>
public static class TurnRestCredentials
{
    /// <summary>Issues a username and password valid until <c>now + lifetime</c>.</summary>
    public static (string Username, string Password) Create(string secret, string userId, TimeSpan lifetime, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentNullException.ThrowIfNull(timeProvider);
        long expiry = (timeProvider.GetUtcNow() + lifetime).ToUnixTimeSeconds();
        string username = string.IsNullOrEmpty(userId)
            ? expiry.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{expiry}:{userId}");
        return (username, Password(secret, username));
    }

    /// <summary>The password that goes with <paramref name="username"/> under <paramref name="secret"/>.</summary>
    public static string Password(string secret, string username)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentNullException.ThrowIfNull(username);
        Span<byte> mac = stackalloc byte[20];
#pragma warning disable CA5350 // HMAC-SHA1 is what the TURN REST API convention (and coturn) defines.
        HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(username), mac);
#pragma warning restore CA5350
        return Convert.ToBase64String(mac);
    }

    /// <summary>
    /// Reads the expiry time from a REST-style username (<c>expiry</c> or <c>expiry:user-id</c>).
    /// </summary>
    public static bool TryGetExpiry(string username, out DateTimeOffset expiry)
    {
        ArgumentNullException.ThrowIfNull(username);
        expiry = default;
        int colon = username.IndexOf(':', StringComparison.Ordinal);
        ReadOnlySpan<char> timestamp = colon < 0 ? username : username.AsSpan(0, colon);
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return false;
        }

        expiry = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return true;
    }
}
