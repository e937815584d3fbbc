using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;


namespace PeerConnect.Turn.Server;

/// <summary>What a received NONCE turned out to be.</summary>
internal enum NonceState
{
    /// <summary>Issued by this server to this client and not expired.</summary>
    Valid,

    /// <summary>Expired, or not one of ours: the client gets 438 and a fresh one (RFC 8489 §9.2.4).</summary>
    Stale,
}

/// <summary>
/// Stateless nonces: the expiry time and a MAC over it and the client address, so any receive loop can check
/// one without a table. Layout, all printable (RFC 8489 §14.10 allows qdtext):
/// <code>
/// [ "obMatJos2" security-feature-set (4 base64 chars) ]   only when PASSWORD-ALGORITHMS is offered (RFC 8489 §9.2)
/// expiry          8 hex digits: Unix seconds
/// mac             11 base64url chars: the first 8 bytes of HMAC-SHA256(server key, flag | expiry | client address)
/// </code>
/// The security feature set has bit 0 ("Password algorithms") set, encoded as base64 of 0x80 0x00 0x00 = "gAAA".
/// </summary>
internal sealed class TurnNonces
{
    /// <summary>RFC 8489 §9.2: the nonce cookie that announces the security feature set.</summary>
    public const string Cookie = "obMatJos2";
    private const string PasswordAlgorithmsFeature = "gAAA";
    private const int ExpiryLength = 8;
    private const int MacBytes = 8;
    private const int MacLength = 11;

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;

    public TurnNonces(TimeProvider time, TimeSpan lifetime)
    {
        _time = time;
        _lifetime = lifetime;
    }

    /// <summary>A fresh nonce for <paramref name="client"/>; with the cookie when SHA-256 is offered.</summary>
    public string Issue(TurnAddress client, bool withPasswordAlgorithms)
    {
        uint expiry = (uint)Math.Min(uint.MaxValue, (_time.GetUtcNow() + _lifetime).ToUnixTimeSeconds());
        Span<byte> mac = stackalloc byte[MacBytes];
        Mac(withPasswordAlgorithms, expiry, client, mac);
        Span<char> macText = stackalloc char[MacLength];
        Base64Url.EncodeToChars(mac, macText);
        string body = string.Create(CultureInfo.InvariantCulture, $"{expiry:x8}{macText}");
        return withPasswordAlgorithms ? Cookie + PasswordAlgorithmsFeature + body : body;
    }

    /// <summary>Checks a nonce from a request; <paramref name="passwordAlgorithms"/> says whether it carried the cookie.</summary>
    public NonceState Check(string nonce, TurnAddress client, out bool passwordAlgorithms)
    {
        passwordAlgorithms = nonce.StartsWith(Cookie + PasswordAlgorithmsFeature, StringComparison.Ordinal);
        ReadOnlySpan<char> body = passwordAlgorithms ? nonce.AsSpan(Cookie.Length + PasswordAlgorithmsFeature.Length) : nonce;
        if (body.Length != ExpiryLength + MacLength
            || !uint.TryParse(body[..ExpiryLength], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint expiry))
        {
            return NonceState.Stale;
        }
        Span<byte> expected = stackalloc byte[MacBytes];
        Mac(passwordAlgorithms, expiry, client, expected);
        Span<byte> received = stackalloc byte[MacBytes + 1];
        if (Base64Url.DecodeFromChars(body[ExpiryLength..], received, out _, out int written) != System.Buffers.OperationStatus.Done
            || written != MacBytes
            || !CryptographicOperations.FixedTimeEquals(expected, received[..MacBytes]))
        {
            return NonceState.Stale;
        }
        return expiry > _time.GetUtcNow().ToUnixTimeSeconds() ? NonceState.Valid : NonceState.Stale;
    }

    private void Mac(bool passwordAlgorithms, uint expiry, TurnAddress client, Span<byte> destination)
    {
        Span<byte> input = stackalloc byte[1 + 4 + 16];
        input[0] = passwordAlgorithms ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(input[1..], expiry);
        int length = client.WriteAddress(input[5..]);
        Span<byte> full = stackalloc byte[32];
        HMACSHA256.HashData(_key, input[..(5 + length)], full);
        full[..destination.Length].CopyTo(destination);
    }

    /// <summary>Byte length of a nonce as <see cref="Issue"/> writes it.</summary>
    public static int Length(bool withPasswordAlgorithms) =>
        ExpiryLength + MacLength + (withPasswordAlgorithms ? Cookie.Length + PasswordAlgorithmsFeature.Length : 0);

}
