using PeerConnect.Stun;

namespace PeerConnect.Turn.Server;

/// <summary>CreatePermission (RFC 8656 §10.2) and ChannelBind (RFC 8656 §12.2).</summary>
public sealed partial class TurnServer
{
    private const int MaxPeersPerRequest = 32;

    private int CreatePermission(TurnFiveTuple fiveTuple, StunMessageReader request, in TurnAuth auth, Span<byte> response)
    {
        if (!TryOwnAllocation(fiveTuple, request, auth, response, out var allocation, out int refusal))
        {
            return refusal;
        }
        // Every XOR-PEER-ADDRESS is checked before any is installed: the request succeeds or fails as a whole (§10.2).
        Span<TurnAddress> peers = stackalloc TurnAddress[MaxPeersPerRequest];
        int count = 0;
        foreach (var attribute in request.Attributes)
        {
            if (attribute.Type != (ushort)StunAttributeType.XorPeerAddress)
            {
                continue;
            }
            if (count == peers.Length || !XorAddress.TryRead(attribute.Value, request.Message, out peers[count]))
            {
                return Refused(request, fiveTuple, StunErrorCodes.BadRequest, auth, response);
            }
            int code = CheckPeer(allocation, peers[count]);
            if (code != 0)
            {
                return Refused(request, fiveTuple, code, auth, response);
            }
            count++;
        }
        if (count == 0)
        {
            return Refused(request, fiveTuple, StunErrorCodes.BadRequest, auth, response);
        }
        long expires = After(TurnServerOptions.PermissionLifetime);
        int added = 0;
        lock (allocation.Sync)
        {
            int fresh = 0;
            for (int i = 0; i < count; i++)
            {
                fresh += allocation.HasPermissionSlot(peers[i]) ? 0 : 1;
            }
            if (allocation.PermissionCount + fresh > _options.MaxPermissionsPerAllocation)
            {
                added = -1;
            }
            else
            {
                for (int i = 0; i < count; i++)
                {
                    added += allocation.SetPermission(peers[i], expires);
                }
            }
        }
        if (added < 0)
        {
            // RFC 8656 §10.2: "the server… is unable to install the permissions… 508 (Insufficient Capacity)".
            _metrics.QuotaRejected("permissions");
            return Refused(request, fiveTuple, StunErrorCodes.InsufficientCapacity, auth, response);
        }
        _metrics.PermissionsChanged(added);
        var writer = new StunMessageWriter(response, request.Type.ToResponse(success: true), request.TransactionId);
        return FinishSigned(ref writer, auth);
    }

    private int ChannelBind(TurnFiveTuple fiveTuple, StunMessageReader request, in TurnAuth auth, Span<byte> response)
    {
        if (!TryOwnAllocation(fiveTuple, request, auth, response, out var allocation, out int refusal))
        {
            return refusal;
        }
        // RFC 8656 §12.2: CHANNEL-NUMBER in range and one XOR-PEER-ADDRESS are required, else 400.
        if (!request.TryGetChannelNumber(out ushort number) || !IsValidChannel(number)
            || !request.TryGetAttribute(StunAttributeType.XorPeerAddress, out var value)
            || !XorAddress.TryRead(value, request.Message, out var peer))
        {
            return Refused(request, fiveTuple, StunErrorCodes.BadRequest, auth, response);
        }
        int code = CheckPeer(allocation, peer);
        if (code != 0)
        {
            return Refused(request, fiveTuple, code, auth, response);
        }
        long now = Now;
        bool conflict = false, newChannel = false;
        int newPermission;
        lock (allocation.Sync)
        {
            var byNumber = allocation.ChannelByNumber(number);
            var byPeer = allocation.ChannelByPeer(peer);
            // The channel is bound to another peer, or the peer to another channel → 400 (§12.2).
            if ((byNumber is not null && byNumber.Peer != peer) || (byPeer is not null && byPeer.Number != number))
            {
                conflict = true;
                newPermission = 0;
            }
            else
            {
                if (byNumber is null)
                {
                    allocation.AddChannel(new TurnChannelBinding(number, peer, now));
                    newChannel = true;
                }
                allocation.ChannelByNumber(number)!.Expires = After(TurnServerOptions.ChannelLifetime);
                // Binding also installs or refreshes the permission for the peer's IP (§12.2).
                newPermission = allocation.SetPermission(peer, After(TurnServerOptions.PermissionLifetime));
            }
        }
        if (conflict)
        {
            return Refused(request, fiveTuple, StunErrorCodes.BadRequest, auth, response);
        }
        _metrics.PermissionsChanged(newPermission);
        if (newChannel)
        {
            _metrics.ChannelsChanged(1);
        }
        var writer = new StunMessageWriter(response, request.Type.ToResponse(success: true), request.TransactionId);
        return FinishSigned(ref writer, auth);
    }

    /// <summary>RFC 8656 §10.2, §12.2: the 5-tuple must have an allocation (437) owned by the same user (441).</summary>
    private bool TryOwnAllocation(TurnFiveTuple fiveTuple, StunMessageReader request, in TurnAuth auth, Span<byte> response, out TurnAllocation allocation, out int refusal)
    {
        allocation = Find(fiveTuple)!;
        if (allocation is null)
        {
            refusal = Refused(request, fiveTuple, StunErrorCodes.AllocationMismatch, auth, response);
            return false;
        }
        if (!string.Equals(allocation.Username, auth.Username, StringComparison.Ordinal))
        {
            refusal = Refused(request, fiveTuple, StunErrorCodes.WrongCredentials, auth, response);
            return false;
        }
        refusal = 0;
        return true;
    }

    /// <summary>443 when no relayed address has the peer's family (RFC 8656 §10.2, §12.2); 403 when policy forbids it.</summary>
    private int CheckPeer(TurnAllocation allocation, TurnAddress peer)
    {
        if (allocation.RelayFor(peer) is null)
        {
            return StunErrorCodes.PeerAddressFamilyMismatch;
        }
        var endPoint = peer.ToEndPoint();
        if (!_permissionPolicy.Permit(allocation.Username, endPoint.Address))
        {
            TurnServerLog.PeerForbidden(_logger, endPoint.Address, allocation.Relays[0].LocalAddress.ToEndPoint());
            return StunErrorCodes.Forbidden;
        }
        return 0;
    }
}
