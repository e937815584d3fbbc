using PeerConnect.Stun;

namespace PeerConnect.Turn.Server;

/// <summary>Long-term credential checks (RFC 8489 §9.2.4) and the unauthenticated answers (401, 438, 400, 420).</summary>
public sealed partial class TurnServer
{
    // RFC 8489 §9.2.4: the PASSWORD-ALGORITHMS the server offers, in preference order, echoed back by the client.
    private static readonly StunPasswordAlgorithm[] OfferedAlgorithms = [StunPasswordAlgorithm.Sha256, StunPasswordAlgorithm.Md5];

    /// <summary>Who sent a request that passed the credential check, and the key that signs the response.</summary>
    private readonly record struct TurnAuth(string Username, byte[] Key, bool Sha256Integrity);

    private bool TryAuthenticate(TurnFiveTuple fiveTuple, StunMessageReader request, Span<byte> response, out TurnAuth auth, out int refusal)
    {
        auth = default;
        if (!request.HasMessageIntegrity && !request.HasMessageIntegritySha256)
        {
            // RFC 8489 §9.2.4 first bullet: no integrity → 401 with REALM, NONCE (and PASSWORD-ALGORITHMS).
            _metrics.AuthFailure("missing_integrity");
            refusal = Unauthenticated(fiveTuple, request, StunErrorCodes.Unauthorized, challenge: true, [], response);
            return false;
        }
        if (!request.TryGetString(StunAttributeType.Username, out string username)
            || !request.TryGetString(StunAttributeType.Realm, out string realm)
            || !request.TryGetString(StunAttributeType.Nonce, out string nonce))
        {
            // Second bullet: integrity without USERNAME (or USERHASH), REALM or NONCE → 400.
            _metrics.AuthFailure("missing_attributes");
            refusal = Unauthenticated(fiveTuple, request, StunErrorCodes.BadRequest, challenge: false, [], response);
            return false;
        }
        if (_nonces.Check(nonce, fiveTuple.Client, out bool nonceOffersAlgorithms) != NonceState.Valid)
        {
            // Third bullet: a nonce that is no longer valid → 438 with a fresh one; the client retries.
            _metrics.AuthFailure("stale_nonce");
            refusal = Unauthenticated(fiveTuple, request, StunErrorCodes.StaleNonce, challenge: true, [], response);
            return false;
        }
        if (!TryChooseAlgorithm(request, nonceOffersAlgorithms, out var algorithm))
        {
            _metrics.AuthFailure("password_algorithm");
            refusal = Unauthenticated(fiveTuple, request, StunErrorCodes.BadRequest, challenge: false, [], response);
            return false;
        }
        bool sha256Integrity = request.HasMessageIntegritySha256;
        if (string.Equals(realm, _options.Realm, StringComparison.Ordinal))
        {
            foreach (string password in _authenticator.PasswordsFor(username))
            {
                byte[] key;
                try
                {
                    key = StunCredentials.LongTermKey(username, realm, password, algorithm);
                }
                catch (ArgumentException)
                {
                    break; // OpaqueString refused the user name; no key can match.
                }
                if (sha256Integrity ? request.VerifyMessageIntegritySha256(key) : request.VerifyMessageIntegrity(key))
                {
                    auth = new TurnAuth(username, key, sha256Integrity);
                    refusal = 0;
                    return true;
                }
            }
        }
        // Unknown user, expired REST user name, wrong password or realm: 401 again (RFC 8489 §9.2.4).
        _metrics.AuthFailure("bad_credentials");
        refusal = Unauthenticated(fiveTuple, request, StunErrorCodes.Unauthorized, challenge: true, [], response);
        return false;
    }

    /// <summary>
    /// RFC 8489 §9.2.4: if the nonce announced password algorithms, a request carrying either PASSWORD-ALGORITHMS or
    /// PASSWORD-ALGORITHM must carry both, echo the offered list exactly, and pick one from it; a request carrying
    /// neither uses MD5. Without the announcement the key is MD5 (RFC 5389 behaviour).
    /// </summary>
    private static bool TryChooseAlgorithm(StunMessageReader request, bool nonceOffersAlgorithms, out StunPasswordAlgorithm algorithm)
    {
        algorithm = StunPasswordAlgorithm.Md5;
        bool hasList = request.HasAttribute(StunAttributeType.PasswordAlgorithms);
        bool hasChoice = request.HasAttribute(StunAttributeType.PasswordAlgorithm);
        if (!nonceOffersAlgorithms || (!hasList && !hasChoice))
        {
            return true;
        }
        Span<StunPasswordAlgorithm> echoed = stackalloc StunPasswordAlgorithm[4];
        int count = request.CopyPasswordAlgorithms(echoed);
        if (!hasList || !hasChoice || count != OfferedAlgorithms.Length
            || !echoed[..count].SequenceEqual(OfferedAlgorithms)
            || !request.TryGetPasswordAlgorithm(out algorithm)
            || !OfferedAlgorithms.AsSpan().Contains(algorithm))
        {
            return false;
        }
        return true;
    }

    /// <summary>
    /// An error response to a request whose sender is not (yet) authenticated. Over UDP the source address may be
    /// forged, so the answer is rate-limited per source and never larger than the request times
    /// <see cref="TurnServerOptions.UnauthenticatedAmplificationLimit"/>: when the full response would be larger, a
    /// minimal one is sent (empty reason phrase; for a challenge just REALM and a NONCE without the RFC 8489 §9.2
    /// cookie, so no PASSWORD-ALGORITHMS is needed); when even that is larger, nothing is sent.
    /// </summary>
    private int Unauthenticated(TurnFiveTuple fiveTuple, StunMessageReader request, int code, bool challenge, ReadOnlySpan<ushort> unknownAttributes, Span<byte> response)
    {
        bool datagram = !fiveTuple.IsStream;
        if (datagram && !_rateLimiter.TryAcquire(fiveTuple.Client))
        {
            _metrics.Dropped("rate_limited");
            return 0;
        }
        int limit = datagram ? (int)Math.Min(int.MaxValue, request.Message.Length * _options.UnauthenticatedAmplificationLimit) : int.MaxValue;
        int length = WriteUnauthenticated(fiveTuple, request, code, challenge, unknownAttributes, response, minimal: false);
        if (length > limit)
        {
            length = WriteUnauthenticated(fiveTuple, request, code, challenge, unknownAttributes, response, minimal: true);
            if (length > limit)
            {
                _metrics.Dropped("amplification");
                return 0;
            }
        }
        _metrics.ErrorResponse(code);
        return length;
    }

    private int WriteUnauthenticated(TurnFiveTuple fiveTuple, StunMessageReader request, int code, bool challenge, ReadOnlySpan<ushort> unknownAttributes, Span<byte> response, bool minimal)
    {
        var writer = new StunMessageWriter(response, request.Type.ToResponse(success: false), request.TransactionId);
        writer.WriteErrorCode(code, minimal ? string.Empty : StunErrorCodes.ReasonPhrase(code));
        if (!unknownAttributes.IsEmpty)
        {
            writer.WriteUnknownAttributes(unknownAttributes);
        }
        if (challenge)
        {
            bool offer = _options.OfferSha256 && !minimal;
            writer.WriteString(StunAttributeType.Realm, _options.Realm);
            writer.WriteString(StunAttributeType.Nonce, _nonces.Issue(fiveTuple.Client, offer));
            if (offer)
            {
                writer.WritePasswordAlgorithms(OfferedAlgorithms);
            }
        }
        if (!minimal)
        {
            FinishUnsigned(ref writer);
        }
        return writer.Length;
    }

    private void FinishUnsigned(ref StunMessageWriter writer)
    {
        if (_options.Software is not null)
        {
            writer.WriteString(StunAttributeType.Software, _options.Software);
        }
        writer.WriteFingerprint();
    }

    /// <summary>Signs a response to an authenticated request with the same integrity it used (RFC 8489 §9.2.4).</summary>
    private int FinishSigned(ref StunMessageWriter writer, in TurnAuth auth)
    {
        if (_options.Software is not null)
        {
            writer.WriteString(StunAttributeType.Software, _options.Software);
        }
        if (auth.Sha256Integrity)
        {
            writer.WriteMessageIntegritySha256(auth.Key);
        }
        else
        {
            writer.WriteMessageIntegrity(auth.Key);
        }
        writer.WriteFingerprint();
        return writer.Length;
    }

    /// <summary>An error response to an authenticated request (RFC 8656: 403, 437, 441, 442, 443, 486, 508…).</summary>
    private int SignedError(StunMessageReader request, int code, in TurnAuth auth, Span<byte> response)
    {
        var writer = new StunMessageWriter(response, request.Type.ToResponse(success: false), request.TransactionId);
        writer.WriteErrorCode(code, StunErrorCodes.ReasonPhrase(code));
        _metrics.ErrorResponse(code);
        return FinishSigned(ref writer, auth);
    }

    /// <summary>A plain error response (500 after an internal failure).</summary>
    private int Error(StunMessageReader request, int code, Span<byte> response)
    {
        var writer = new StunMessageWriter(response, request.Type.ToResponse(success: false), request.TransactionId);
        writer.WriteErrorCode(code, StunErrorCodes.ReasonPhrase(code));
        FinishUnsigned(ref writer);
        _metrics.ErrorResponse(code);
        return writer.Length;
    }
}
