using PeerConnect.Stun;

namespace PeerConnect.Turn.Client;

/// <summary>
/// The client side of the long-term credential mechanism (RFC 8489 §9.2): remembers REALM, NONCE and the
/// password algorithm a 401 or 438 taught it, derives the key, and signs requests with it.
/// </summary>
/// <remarks>Used only by the client's serial owner, so it needs no locks.</remarks>
internal sealed class LongTermAuthenticator
{
    private readonly string _username;
    private readonly string _password;
    private byte[]? _passwordAlgorithms;

    public LongTermAuthenticator(string username, string password)
    {
        _username = username;
        _password = password;
    }

    /// <summary>True once a challenge supplied REALM and NONCE: requests then carry credentials.</summary>
    public bool HasChallenge => Key is not null;

    public string? Realm { get; private set; }

    public string? Nonce { get; private set; }

    public StunPasswordAlgorithm Algorithm { get; private set; } = StunPasswordAlgorithm.Md5;

    /// <summary>The long-term key (RFC 8489 §9.2.2) for the current realm and algorithm.</summary>
    public byte[]? Key { get; private set; }

    /// <summary>
    /// Takes REALM, NONCE and PASSWORD-ALGORITHMS from a 401 or 438 (RFC 8489 §9.2.5). SHA-256 is chosen when the
    /// server lists it (RFC 8489 §9.2.4, §14.11); otherwise MD5, the only algorithm RFC 5389 servers know.
    /// </summary>
    /// <returns>False when the response lacks REALM or NONCE and so cannot be answered.</returns>
    public bool TryAcceptChallenge(StunMessageReader response)
    {
        if (!response.TryGetString(StunAttributeType.Realm, out string realm)
            || !response.TryGetString(StunAttributeType.Nonce, out string nonce)
            || realm.Length == 0 || nonce.Length == 0)
        {
            return false;
        }

        byte[]? algorithms = null;
        var algorithm = StunPasswordAlgorithm.Md5;
        if (response.TryGetAttribute(StunAttributeType.PasswordAlgorithms, out ReadOnlySpan<byte> offered))
        {
            algorithms = offered.ToArray();
            if (Offers(offered, StunPasswordAlgorithm.Sha256))
            {
                algorithm = StunPasswordAlgorithm.Sha256;
            }
        }

        if (Key is null || realm != Realm || algorithm != Algorithm)
        {
            Key = StunCredentials.LongTermKey(_username, realm, _password, algorithm);
        }

        Realm = realm;
        Nonce = nonce;
        Algorithm = algorithm;
        _passwordAlgorithms = algorithms;
        return true;
    }

    /// <summary>
    /// Appends USERNAME, REALM, NONCE, the password-algorithm pair when the server offered algorithms
    /// (RFC 8489 §9.2.3.2), and the integrity attribute that matches the algorithm. Must come last but FINGERPRINT.
    /// </summary>
    public void Sign(ref StunMessageWriter writer)
    {
        if (Key is null)
        {
            return;
        }

        writer.WriteString(StunAttributeType.Username, _username);
        writer.WriteString(StunAttributeType.Realm, Realm!);
        writer.WriteString(StunAttributeType.Nonce, Nonce!);
        if (_passwordAlgorithms is not null)
        {
            // Echoing the server's list lets it detect a bid-down to MD5 (RFC 8489 §9.2.4).
            writer.WriteAttribute(StunAttributeType.PasswordAlgorithms, _passwordAlgorithms);
            writer.WritePasswordAlgorithm(Algorithm);
        }

        if (Algorithm == StunPasswordAlgorithm.Sha256)
        {
            writer.WriteMessageIntegritySha256(Key);
        }
        else
        {
            writer.WriteMessageIntegrity(Key);
        }
    }

    /// <summary>
    /// RFC 8489 §9.2.5: a response carrying an integrity attribute is processed only when it verifies with the key
    /// the request was signed with; a success response to a signed request must carry one.
    /// </summary>
    public static bool IsAuthentic(StunMessageReader response, byte[]? requestKey)
    {
        if (requestKey is null)
        {
            return true;
        }

        if (response.HasMessageIntegritySha256)
        {
            return response.VerifyMessageIntegritySha256(requestKey);
        }

        if (response.HasMessageIntegrity)
        {
            return response.VerifyMessageIntegrity(requestKey);
        }

        return response.Class == StunMessageClass.ErrorResponse;
    }

    // PASSWORD-ALGORITHMS (RFC 8489 §14.11): a list of entries, each
    // |          Algorithm 1          | Algorithm 1 Parameters Length |
    // |                    Algorithm 1 Parameters (variable)         ...
    private static bool Offers(ReadOnlySpan<byte> list, StunPasswordAlgorithm wanted)
    {
        while (list.Length >= 4)
        {
            ushort algorithm = (ushort)((list[0] << 8) | list[1]);
            int parameters = (((list[2] << 8) | list[3]) + 3) & ~3;
            if (algorithm == (ushort)wanted)
            {
                return true;
            }

            if (parameters > list.Length - 4)
            {
                return false;
            }

            list = list[(4 + parameters)..];
        }

        return false;
    }
}
