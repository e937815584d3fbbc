using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PeerConnect.Stun;

/// <summary>Password algorithms for long-term credentials (RFC 8489 §18.5 registry).</summary>
public enum StunPasswordAlgorithm : ushort
{
    /// <summary>MD5 key derivation, the RFC 5389 default.</summary>
    Md5 = 0x0001,
    /// <summary>SHA-256 key derivation (RFC 8489).</summary>
    Sha256 = 0x0002,
}

/// <summary>Keys for MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256 (RFC 8489 §9).</summary>
public static class StunCredentials
{
    /// <summary>Short-term key: the OpaqueString-prepared password (RFC 8489 §9.1.1).</summary>
    /// <exception cref="ArgumentException">The password is empty or has disallowed characters.</exception>
    public static byte[] ShortTermKey(string password) =>
        Encoding.UTF8.GetBytes(OpaqueString.Prepare(password, nameof(password)));

    /// <summary>
    /// Long-term key (RFC 8489 §9.2.2): the chosen hash of
    /// <c>username ":" OpaqueString(realm) ":" OpaqueString(password)</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A component is empty or has disallowed characters.</exception>
    public static byte[] LongTermKey(string username, string realm, string password, StunPasswordAlgorithm algorithm = StunPasswordAlgorithm.Md5)
    {
        ArgumentNullException.ThrowIfNull(username);
        string input = string.Concat(
            OpaqueString.Prepare(username, nameof(username)), ":",
            OpaqueString.Prepare(realm, nameof(realm)), ":",
            OpaqueString.Prepare(password, nameof(password)));
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        return algorithm switch
        {
#pragma warning disable CA5351 // MD5 is what RFC 5389/8489 long-term credentials are defined with.
            StunPasswordAlgorithm.Md5 => MD5.HashData(bytes),
#pragma warning restore CA5351
            StunPasswordAlgorithm.Sha256 => SHA256.HashData(bytes),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown STUN password algorithm."),
        };
    }

    /// <summary>USERHASH value (RFC 8489 §14.4): SHA-256 of <c>username ":" realm</c>, both OpaqueString-prepared.</summary>
    public static byte[] UserHash(string username, string realm) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(
            OpaqueString.Prepare(username, nameof(username)), ":", OpaqueString.Prepare(realm, nameof(realm)))));
}

/// <summary>The PRECIS OpaqueString profile (RFC 8265 §4.2) that STUN applies to usernames, realms and passwords.</summary>
public static class OpaqueString
{
    /// <summary>
    /// Maps non-ASCII spaces to U+0020, normalises to NFC, and rejects empty strings and the code
    /// points the PRECIS FreeformClass disallows (controls, surrogates, unassigned, private use).
    /// </summary>
    /// <exception cref="ArgumentException">The string is empty or contains a disallowed code point.</exception>
    public static string Prepare(string value, string parameterName = "value")
    {
        ArgumentNullException.ThrowIfNull(value, parameterName);
        string mapped = MapSpaces(value);
        string normalized = mapped.IsNormalized(NormalizationForm.FormC) ? mapped : mapped.Normalize(NormalizationForm.FormC);
        if (normalized.Length == 0)
        {
            throw new ArgumentException("OpaqueString does not allow an empty string.", parameterName);
        }

        for (int i = 0; i < normalized.Length; i++)
        {
            UnicodeCategory category = CharUnicodeInfo.GetUnicodeCategory(normalized, i);
            if (category is UnicodeCategory.Control or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse
                || (category == UnicodeCategory.Surrogate && !char.IsSurrogatePair(normalized, i)))
            {
                throw new ArgumentException($"OpaqueString does not allow the code point at index {i}.", parameterName);
            }

            if (char.IsHighSurrogate(normalized[i]))
            {
                i++;
            }
        }

        return normalized;
    }

    private static string MapSpaces(string value)
    {
        bool needsMapping = false;
        foreach (char c in value)
        {
            if (c > 0x7F && CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.SpaceSeparator)
            {
                needsMapping = true;
                break;
            }
        }

        if (!needsMapping)
        {
            return value;
        }

        return string.Create(value.Length, value, static (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                char c = source[i];
                span[i] = c > 0x7F && CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.SpaceSeparator ? ' ' : c;
            }
        });
    }
}
