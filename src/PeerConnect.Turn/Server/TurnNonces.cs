using System.Buffers.Binary;
using System.Buffers.Text;
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
/// one without a table. Kept short because over UDP a challenge must fit in the size of the request that caused it
/// (see <see cref="TurnServerOptions.UnauthenticatedAmplificationLimit"/>). Layout, all printable (RFC 8489 §14.10):
/// <code>
/// [ "obMatJos2" security-feature-set (4 base64 chars) ]   only when PASSWORD-ALGORITHMS is offered (RFC 8489 §9.2)
/// 12 base64url chars of 9 bytes:
///   expiry   4 bytes, Unix seconds, big-endian
///   mac      5 bytes: the start of HMAC-SHA256(server key, flag | expiry | client address)
/// </code>
/// 40 MAC bits are plenty for a nonce: each guess costs an online request and the nonce is not the credential.
/// The security feature set has bit 0 ("Password algorithms") set, encoded as base64 of 0x80 0x00 0x00 = "gAAA".
/// </summary>
internal sealed class TurnNonces
{
    /// <summary>RFC 8489 §9.2: the nonce cookie that announces the security feature set.</summary>
    public const string Cookie = "obMatJos2";
    private const string PasswordAlgorithmsFeature = "gAAA";
    private const int BodyBytes = 9;
    private const int MacBytes = 5;
    private const int BodyLength = 12;

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
        Span<byte> body = stackalloc byte[BodyBytes];
        BinaryPrimitives.WriteUInt32BigEndian(body, expiry);
        Mac(withPasswordAlgorithms, expiry, client, body[4..]);
        string text = Base64Url.EncodeToString(body);
        return withPasswordAlgorithms ? Cookie + PasswordAlgorithmsFeature + text : text;
    }

    /// <summary>Checks a nonce from a request; <paramref name="passwordAlgorithms"/> says whether it carried the cookie.</summary>
    public NonceState Check(string nonce, TurnAddress client, out bool passwordAlgorithms)
    {
        passwordAlgorithms = nonce.StartsWith(Cookie + PasswordAlgorithmsFeature, StringComparison.Ordinal);
        ReadOnlySpan<char> text = passwordAlgorithms ? nonce.AsSpan(Cookie.Length + PasswordAlgorithmsFeature.Length) : nonce;
        Span<byte> body = stackalloc byte[BodyBytes + 3];
        if (text.Length != BodyLength
            || Base64Url.DecodeFromChars(text, body, out _, out int written) != System.Buffers.OperationStatus.Done
            || written != BodyBytes)
        {
            return NonceState.Stale;
        }
        uint expiry = BinaryPrimitives.ReadUInt32BigEndian(body);
        Span<byte> expected = stackalloc byte[MacBytes];
        Mac(passwordAlgorithms, expiry, client, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, body.Slice(4, MacBytes)))
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
}
