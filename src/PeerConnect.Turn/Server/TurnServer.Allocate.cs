using System.Net.Sockets;
using System.Security.Cryptography;
using PeerConnect.Stun;

namespace PeerConnect.Turn.Server;

/// <summary>Allocate (RFC 8656 §7.2) and Refresh (RFC 8656 §8.2).</summary>
public sealed partial class TurnServer
{
    private static readonly TimeSpan ReservationLifetime = TimeSpan.FromSeconds(30);

    private int Allocate(ITurnClientLink link, TurnFiveTuple fiveTuple, StunMessageReader request, in TurnAuth auth, Span<byte> response)
    {
        // 1. An allocation already on this 5-tuple: a retransmission of the same Allocate gets its success again,
        //    anything else 437 (RFC 8656 §7.2 step 1 and the note on retransmissions).
        if (Find(fiveTuple) is { } existing)
        {
            return existing.AllocateTransaction == request.TransactionId
                ? AllocateSuccess(existing, request, auth, reservationToken: null, addressError: null, response)
                : Refused(request, fiveTuple, StunErrorCodes.AllocationMismatch, auth, response);
        }
        // 2. REQUESTED-TRANSPORT is mandatory (RFC 8656 §7.2 step 2): UDP, or TCP (RFC 6062 §5.1); anything else → 442.
        if (!request.TryGetRequestedTransport(out byte protocol))
        {
            return Refused(request, fiveTuple, StunErrorCodes.BadRequest, auth, response);
        }
        bool tcp = protocol == (byte)TurnTransport.Tcp && _options.AllowTcpRelay;
        if (protocol != (byte)TurnTransport.Udp && !tcp)
        {
            return Refused(request, fiveTuple, StunErrorCodes.UnsupportedTransportProtocol, auth, response);
        }
        if (tcp && !IsAcceptableTcpAllocate(fiveTuple, request))
        {
            return Refused(request, fiveTuple, StunErrorCodes.BadRequest, auth, response);
        }
        // 3. DONT-FRAGMENT is supported (step 3): IPv4 relay sockets then set DF on everything they send.
        bool dontFragment = request.HasAttribute(StunAttributeType.DontFragment);

        // 4-5. RESERVATION-TOKEN excludes EVEN-PORT and REQUESTED-ADDRESS-FAMILY (steps 4, 5; §7.2 "…MUST reject with 400").
        bool hasToken = request.TryGetUInt64(StunAttributeType.ReservationToken, out ulong token);
        bool hasEvenPort = request.HasAttribute(StunAttributeType.EvenPort);
        if ((hasToken || request.HasAttribute(StunAttributeType.ReservationToken)) && (hasEvenPort || request.HasAttribute(StunAttributeType.RequestedAddressFamily)))
        {
            return Refused(request, fiveTuple, StunErrorCodes.BadRequest, auth, response);
        }
        if (hasEvenPort && !request.TryGetEvenPort(out _))
        {
            return Refused(request, fiveTuple, StunErrorCodes.BadRequest, auth, response);
        }
        _ = request.TryGetEvenPort(out bool reserveNext);

        // 6. Address families (RFC 8656 §7.2 step 6, RFC 6156): REQUESTED- and ADDITIONAL-ADDRESS-FAMILY together → 400;
        //    ADDITIONAL must name IPv6; an unsupported requested family → 440.
        var family = AddressFamily.InterNetwork;
        bool hasRequested = request.HasAttribute(StunAttributeType.RequestedAddressFamily);
        bool hasAdditional = request.HasAttribute(StunAttributeType.AdditionalAddressFamily);
        if (hasRequested && hasAdditional)
        {
            return Refused(request, fiveTuple, StunErrorCodes.BadRequest, auth, response);
        }
        if (hasRequested && !request.TryGetAddressFamily(StunAttributeType.RequestedAddressFamily, out family))
        {
            return Refused(request, fiveTuple, StunErrorCodes.AddressFamilyNotSupported, auth, response);
        }
        bool dual = false;
        if (hasAdditional)
        {
            if (!request.TryGetAddressFamily(StunAttributeType.AdditionalAddressFamily, out var additional) || additional != AddressFamily.InterNetworkV6)
            {
                return Refused(request, fiveTuple, StunErrorCodes.BadRequest, auth, response);
            }
            dual = true;
        }
        if (!_relaySockets.Supports(family) || (family == AddressFamily.InterNetworkV6 && _advertisedV6 is null))
        {
            return Refused(request, fiveTuple, StunErrorCodes.AddressFamilyNotSupported, auth, response);
        }

        // 7. Quotas (step 7 "the server MAY… 486"; capacity → 508).
        if (!TryReserveQuota(auth.Username, out int quotaCode))
        {
            _metrics.QuotaRejected(quotaCode == StunErrorCodes.AllocationQuotaReached ? "user" : "server");
            return Refused(request, fiveTuple, quotaCode, auth, response);
        }
        bool committed = false;
        var relays = new List<ITurnRelaySocket>(2);
        ITurnRelaySocket? reservedNext = null;
        try
        {
            ITurnRelaySocket? primary;
            if (hasToken)
            {
                // A token names a port held back by an earlier EVEN-PORT with R; unknown or expired → 508 (step 4).
                primary = _reservations.TryRemove(token, out var reservation) ? reservation.Socket : null;
            }
            else if (tcp)
            {
                primary = BindTcpRelay(family);
            }
            else
            {
                primary = _relaySockets.Bind(family, 0, hasEvenPort, reserveNext, out reservedNext);
            }
            if (primary is null)
            {
                TurnServerLog.NoRelayPort(_logger, fiveTuple.Client.ToEndPoint());
                return Refused(request, fiveTuple, StunErrorCodes.InsufficientCapacity, auth, response);
            }
            relays.Add(primary);
            int? addressError = null;
            if (dual)
            {
                // RFC 8656 §7.2: the IPv4 allocation succeeds even when the IPv6 one cannot be made; ADDRESS-ERROR-CODE says why.
                var second = _relaySockets.Supports(AddressFamily.InterNetworkV6) && _advertisedV6 is not null
                    ? _relaySockets.Bind(AddressFamily.InterNetworkV6, 0, false, false, out _)
                    : null;
                if (second is null)
                {
                    addressError = _relaySockets.Supports(AddressFamily.InterNetworkV6) ? StunErrorCodes.InsufficientCapacity : StunErrorCodes.AddressFamilyNotSupported;
                }
                else
                {
                    relays.Add(second);
                }
            }
            ulong? reservationToken = null;
            if (reservedNext is not null)
            {
                reservationToken = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
                _reservations[reservationToken.Value] = new Reservation(reservedNext, After(ReservationLifetime));
                reservedNext = null;
            }
            TimeSpan lifetime = GrantedLifetime(request);
            var allocation = new TurnAllocation(fiveTuple, auth.Username, link, [.. relays], request.TransactionId, After(lifetime), _options.BandwidthLimitBytesPerSecond, Now, _time)
            {
                DontFragment = dontFragment,
                Tcp = primary as TcpRelay,
            };
            lock (_tableLock)
            {
                committed = _allocations.TryAdd(fiveTuple, allocation);
                if (committed)
                {
                    _pendingAllocations--;
                }
            }
            if (!committed)
            {
                // Another receive loop won a race for the same 5-tuple.
                return Refused(request, fiveTuple, StunErrorCodes.AllocationMismatch, auth, response);
            }
            _metrics.AllocationAdded();
            link.HoldsAllocation();
            if (allocation.Tcp is { } tcpRelay)
            {
                StartAccepting(allocation, tcpRelay);
            }
            else
            {
                StartRelayLoops(allocation);
            }
            TurnServerLog.AllocationCreated(_logger, allocation.Relays[0].LocalAddress.ToEndPoint(), auth.Username, fiveTuple.Client.ToEndPoint(), fiveTuple.Transport, lifetime);
            return AllocateSuccess(allocation, request, auth, reservationToken, addressError, response);
        }
        finally
        {
            if (!committed)
            {
                ReleaseQuota(auth.Username);
                relays.ForEach(r => r.Dispose());
                reservedNext?.Dispose();
            }
        }
    }

    private int AllocateSuccess(TurnAllocation allocation, StunMessageReader request, in TurnAuth auth, ulong? reservationToken, int? addressError, Span<byte> response)
    {
        var writer = new StunMessageWriter(response, request.Type.ToResponse(success: true), request.TransactionId);
        Span<byte> value = stackalloc byte[XorAddress.IPv6Length];
        foreach (var relay in allocation.Relays)
        {
            int length = XorAddress.Write(value, response, Advertised(relay));
            writer.WriteAttribute(StunAttributeType.XorRelayedAddress, value[..length]);
        }
        writer.WriteUInt32(StunAttributeType.Lifetime, RemainingSeconds(allocation));
        if (reservationToken is ulong token)
        {
            writer.WriteUInt64(StunAttributeType.ReservationToken, token);
        }
        if (addressError is int code)
        {
            writer.WriteAddressErrorCode(AddressFamily.InterNetworkV6, code, StunErrorCodes.ReasonPhrase(code));
        }
        int mapped = XorAddress.Write(value, response, allocation.FiveTuple.Client);
        writer.WriteAttribute(StunAttributeType.XorMappedAddress, value[..mapped]);
        return FinishSigned(ref writer, auth);
    }

    private int Refresh(TurnFiveTuple fiveTuple, StunMessageReader request, in TurnAuth auth, Span<byte> response)
    {
        // RFC 8656 §8.2: no allocation → 437; another user's → 441.
        if (Find(fiveTuple) is not { } allocation)
        {
            return Refused(request, fiveTuple, StunErrorCodes.AllocationMismatch, auth, response);
        }
        if (!string.Equals(allocation.Username, auth.Username, StringComparison.Ordinal))
        {
            return Refused(request, fiveTuple, StunErrorCodes.WrongCredentials, auth, response);
        }
        // A REQUESTED-ADDRESS-FAMILY naming a family the allocation lacks → 443 (RFC 8656 §8.2 step 1).
        if (request.TryGetAddressFamily(StunAttributeType.RequestedAddressFamily, out var family)
            && !Array.Exists(allocation.Relays, r => r.LocalAddress.Family == family))
        {
            return Refused(request, fiveTuple, StunErrorCodes.PeerAddressFamilyMismatch, auth, response);
        }
        uint granted;
        if (request.TryGetUInt32(StunAttributeType.Lifetime, out uint requested) && requested == 0)
        {
            // LIFETIME 0 deletes the allocation; the success carries LIFETIME 0 (RFC 8656 §8.2 step 2).
            Remove(allocation, "refreshed with lifetime 0");
            granted = 0;
        }
        else
        {
            TimeSpan lifetime = GrantedLifetime(request);
            lock (allocation.Sync)
            {
                allocation.Expires = After(lifetime);
            }
            granted = (uint)lifetime.TotalSeconds;
        }
        var writer = new StunMessageWriter(response, request.Type.ToResponse(success: true), request.TransactionId);
        writer.WriteUInt32(StunAttributeType.Lifetime, granted);
        return FinishSigned(ref writer, auth);
    }

    /// <summary>
    /// RFC 8656 §7.2 step 8 (and §8.2 for Refresh): min(requested, maximum), but never below the default; no LIFETIME
    /// means the default.
    /// </summary>
    private TimeSpan GrantedLifetime(StunMessageReader request)
    {
        if (!request.TryGetUInt32(StunAttributeType.Lifetime, out uint seconds))
        {
            return _options.DefaultAllocationLifetime;
        }
        var requested = TimeSpan.FromSeconds(seconds);
        var capped = requested < _options.MaxAllocationLifetime ? requested : _options.MaxAllocationLifetime;
        return capped > _options.DefaultAllocationLifetime ? capped : _options.DefaultAllocationLifetime;
    }

    private uint RemainingSeconds(TurnAllocation allocation)
    {
        long remaining = allocation.Expires - Now;
        return remaining <= 0 ? 0 : (uint)Math.Round(remaining / (double)_time.TimestampFrequency);
    }

    private bool TryReserveQuota(string user, out int code)
    {
        lock (_tableLock)
        {
            int held = _allocationsPerUser.GetValueOrDefault(user);
            if (held >= _options.MaxAllocationsPerUser || (_allocationQuota is not null && !_allocationQuota(user, held)))
            {
                code = StunErrorCodes.AllocationQuotaReached;
                return false;
            }
            if (_allocations.Count + _pendingAllocations >= _options.MaxAllocations)
            {
                code = StunErrorCodes.InsufficientCapacity;
                return false;
            }
            _allocationsPerUser[user] = held + 1;
            _pendingAllocations++;
            code = 0;
            return true;
        }
    }

    private void ReleaseQuota(string user)
    {
        lock (_tableLock)
        {
            _pendingAllocations--;
            int held = _allocationsPerUser.GetValueOrDefault(user);
            if (held <= 1)
            {
                _allocationsPerUser.Remove(user);
            }
            else
            {
                _allocationsPerUser[user] = held - 1;
            }
        }
    }

    private int Refused(StunMessageReader request, TurnFiveTuple fiveTuple, int code, in TurnAuth auth, Span<byte> response)
    {
        if (_logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
        {
            TurnServerLog.RequestRefused(_logger, request.Method, fiveTuple.Client.ToEndPoint(), code, StunErrorCodes.ReasonPhrase(code));
        }
        return SignedError(request, code, auth, response);
    }
}
