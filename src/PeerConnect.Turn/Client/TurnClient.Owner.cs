using System.Net;
using PeerConnect.Stun;
using PeerConnect.Stun.Client;

namespace PeerConnect.Turn.Client;

/// <summary>The serial owner: every change to the allocation, its permissions and channels happens here, one command at a time.</summary>
public sealed partial class TurnClient
{
    /// <summary>Permission lifetime, fixed by RFC 8656 §9.</summary>
    internal static readonly TimeSpan PermissionLifetime = TimeSpan.FromSeconds(300);

    /// <summary>Channel binding lifetime, fixed by RFC 8656 §12.</summary>
    internal static readonly TimeSpan ChannelLifetime = TimeSpan.FromSeconds(600);

    private long _expiresAt;

    // A refresh that timed out is tried again this much later, while the allocation (or permission) still lives.
    private TimeSpan RetryDelay => _options.RefreshMargin / 4;

    private async Task OwnerLoopAsync()
    {
        while (await _commands.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (_commands.Reader.TryRead(out TurnCommand? command))
            {
                switch (command)
                {
                    case AllocateCommand allocate:
                        await HandleAllocateAsync(allocate).ConfigureAwait(false);
                        break;
                    case RefreshCommand:
                        await HandleRefreshAsync().ConfigureAwait(false);
                        break;
                    case PermissionCommand permission:
                        await HandlePermissionsAsync(TakePermissionBatch(permission)).ConfigureAwait(false);
                        break;
                    case ChannelCommand channel:
                        await HandleChannelAsync(channel).ConfigureAwait(false);
                        break;
                    case CloseCommand close:
                        await HandleCloseAsync(close).ConfigureAwait(false);
                        break;
                }
            }
        }
    }

    private async Task HandleAllocateAsync(AllocateCommand command)
    {
        if (_allocation is not null || _transactions.Authenticator is not null)
        {
            command.Completion.TrySetException(new InvalidOperationException("The TURN client already allocated; use one client per allocation."));
            return;
        }

        try
        {
            _transactions.Authenticator = CreateAuthenticator();
            ReadOnlyMemory<byte> response = await _transactions.ExecuteAsync(new AllocateRequest(_options.RequestedLifetime), _stopping.Token).ConfigureAwait(false);
            TurnAllocation allocation = ReadAllocation(response.Span);
            _allocation = allocation;
            ScheduleRefresh(allocation.Lifetime);
            TurnClientLog.Allocated(_logger, _options.Server, allocation.RelayedEndPoint, allocation.MappedEndPoint, allocation.Lifetime.TotalSeconds);
            command.Completion.TrySetResult(allocation);
        }
#pragma warning disable CA1031 // Whatever failed the request is the caller's answer.
        catch (Exception e)
#pragma warning restore CA1031
        {
            command.Completion.TrySetException(e);
        }
    }

    private async Task HandleRefreshAsync()
    {
        if (_allocation is null || Volatile.Read(ref _lost) is not null)
        {
            return;
        }

        try
        {
            ReadOnlyMemory<byte> response = await _transactions.ExecuteAsync(new RefreshRequest(_options.RequestedLifetime), _stopping.Token).ConfigureAwait(false);
            TimeSpan lifetime = ReadLifetime(StunMessageReader.Parse(response.Span));
            _allocation = _allocation with { Lifetime = lifetime };
            ScheduleRefresh(lifetime);
            TurnClientLog.Refreshed(_logger, lifetime.TotalSeconds);
        }
        catch (StunErrorResponseException e)
        {
            // 437 Allocation Mismatch: the server no longer has it (RFC 8656 §8.3); any other refusal leaves it to expire.
            MarkLost(new TurnAllocationLostException($"The TURN server refused to refresh the allocation: {e.ErrorCode} {e.Reason}.", e));
        }
        catch (TurnAllocationLostException)
        {
        }
        catch (StunTimeoutException e) when (_time.GetTimestamp() + (long)(RetryDelay.TotalSeconds * _time.TimestampFrequency) < _expiresAt)
        {
            TurnClientLog.RefreshFailed(_logger, RetryDelay.TotalSeconds, e);
            _refreshTimer.Change(RetryDelay, Timeout.InfiniteTimeSpan);
        }
        catch (StunTimeoutException e)
        {
            MarkLost(new TurnAllocationLostException("The TURN allocation expired: the server did not answer Refresh.", e));
        }
    }

    // Consecutive permission requests (first sends to several peers, refreshes falling due together) become one
    // CreatePermission with several XOR-PEER-ADDRESS attributes (RFC 8656 §10.1).
    private List<PermissionCommand> TakePermissionBatch(PermissionCommand first)
    {
        var batch = new List<PermissionCommand> { first };
        while (_commands.Reader.TryPeek(out TurnCommand? next) && next is PermissionCommand more && _commands.Reader.TryRead(out _))
        {
            batch.Add(more);
        }

        return batch;
    }

    private async Task HandlePermissionsAsync(List<PermissionCommand> batch)
    {
        if (Volatile.Read(ref _lost) is Exception lost)
        {
            batch.ForEach(c => c.Completion?.TrySetException(lost));
            return;
        }

        IPEndPoint[] peers = [.. batch.SelectMany(c => c.Peers).Distinct()];
        Dictionary<IPEndPoint, Exception> failures = await CreatePermissionsAsync(peers).ConfigureAwait(false);
        foreach (PermissionCommand command in batch)
        {
            Exception? failure = command.Peers.Select(p => failures.GetValueOrDefault(p)).FirstOrDefault(e => e is not null);
            if (failure is null)
            {
                command.Completion?.TrySetResult();
            }
            else
            {
                command.Completion?.TrySetException(failure);
            }
        }
    }

    /// <returns>The peers whose permission could not be installed, with the reason.</returns>
    private async Task<Dictionary<IPEndPoint, Exception>> CreatePermissionsAsync(IReadOnlyList<IPEndPoint> peers)
    {
        try
        {
            await _transactions.ExecuteAsync(new CreatePermissionRequest(peers), _stopping.Token).ConfigureAwait(false);
            foreach (IPEndPoint endPoint in peers)
            {
                TurnPeer peer = _peers.GetOrAdd(endPoint);
                peer.MarkPermitted();
                peer.PermissionTimer ??= _time.CreateTimer(_ => Post(new PermissionCommand([peer.EndPoint], null)), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                peer.PermissionTimer.Change(_options.RefreshDelay(PermissionLifetime), Timeout.InfiniteTimeSpan);
            }

            TurnClientLog.PermissionsInstalled(_logger, peers.Count);
            return [];
        }
        catch (StunErrorResponseException e) when (peers.Count > 1 && e.ErrorCode == StunErrorCodes.Forbidden)
        {
            // One forbidden peer fails the whole request (RFC 8656 §10.2); ask for each alone so the others get theirs.
            var failures = new Dictionary<IPEndPoint, Exception>();
            foreach (IPEndPoint peer in peers)
            {
                foreach ((IPEndPoint failed, Exception reason) in await CreatePermissionsAsync([peer]).ConfigureAwait(false))
                {
                    failures[failed] = reason;
                }
            }

            return failures;
        }
#pragma warning disable CA1031 // The failure is handed to every caller waiting on these peers.
        catch (Exception e)
#pragma warning restore CA1031
        {
            foreach (IPEndPoint endPoint in peers)
            {
                TurnClientLog.PermissionFailed(_logger, endPoint, e);
                if (_peers.Find(endPoint) is TurnPeer known)
                {
                    // An installed permission still lives until its 300 s are up; try again shortly.
                    known.PermissionTimer?.Change(RetryDelay, Timeout.InfiniteTimeSpan);
                }
            }

            return peers.ToDictionary(p => p, _ => e);
        }
    }

    private async Task HandleChannelAsync(ChannelCommand command)
    {
        if (Volatile.Read(ref _lost) is Exception lost)
        {
            command.Completion?.TrySetException(lost);
            return;
        }

        TurnPeer peer = _peers.GetOrAdd(command.Peer);
        ushort channel = _peers.AssignChannel(peer);
        if (channel == 0)
        {
            command.Completion?.TrySetException(new InvalidOperationException("All 4096 TURN channel numbers are in use."));
            return;
        }

        try
        {
            await _transactions.ExecuteAsync(new ChannelBindRequest(channel, peer.EndPoint), _stopping.Token).ConfigureAwait(false);
            bool fresh = peer.BoundChannel == 0;
            peer.MarkBound(channel);
            // A ChannelBind installs or refreshes the peer's permission too (RFC 8656 §12.2).
            peer.MarkPermitted();
            peer.ChannelTimer ??= _time.CreateTimer(_ => Post(new ChannelCommand(peer.EndPoint, null)), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            peer.ChannelTimer.Change(_options.RefreshDelay(ChannelLifetime), Timeout.InfiniteTimeSpan);
            if (fresh)
            {
                TurnClientLog.ChannelBound(_logger, channel, peer.EndPoint);
            }

            command.Completion?.TrySetResult(channel);
        }
        catch (StunTimeoutException e) when (peer.BoundChannel != 0)
        {
            // The binding lives until its 600 s are up; try the refresh again shortly.
            TurnClientLog.ChannelBindFailed(_logger, peer.EndPoint, e);
            peer.ChannelTimer?.Change(RetryDelay, Timeout.InfiniteTimeSpan);
            command.Completion?.TrySetException(e);
        }
#pragma warning disable CA1031 // The peer falls back to Send indications; the caller, if any, learns why.
        catch (Exception e)
#pragma warning restore CA1031
        {
            TurnClientLog.ChannelBindFailed(_logger, peer.EndPoint, e);
            peer.ChannelTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _peers.ReleaseChannel(peer);
            command.Completion?.TrySetException(e);
        }
    }

    private async Task HandleCloseAsync(CloseCommand command)
    {
        _refreshTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        using var deadline = new CancellationTokenSource(_options.CloseTimeout, _time);
        try
        {
            await _transactions.ExecuteAsync(new RefreshRequest(TimeSpan.Zero), deadline.Token).ConfigureAwait(false);
            TurnClientLog.Released(_logger, _options.Server);
        }
        catch (StunErrorResponseException e) when (e.ErrorCode == StunErrorCodes.AllocationMismatch)
        {
            // Already gone at the server: nothing left to release.
        }
#pragma warning disable CA1031 // Closing goes on regardless; the server lets the allocation expire.
        catch (Exception e)
#pragma warning restore CA1031
        {
            TurnClientLog.ReleaseFailed(_logger, _options.Server, e);
        }

        command.Completion.TrySetResult();
    }

    private LongTermAuthenticator CreateAuthenticator()
    {
        if (_options.RestSecret is null)
        {
            return new LongTermAuthenticator(_options.Username!, _options.Password!);
        }

        (string username, string password) = TurnRestCredentials.Create(_options.RestSecret, _options.RestUserId!, _options.RestCredentialLifetime, _time);
        return new LongTermAuthenticator(username, password);
    }

    private void ScheduleRefresh(TimeSpan lifetime)
    {
        _expiresAt = _time.GetTimestamp() + (long)(lifetime.TotalSeconds * _time.TimestampFrequency);
        _refreshTimer.Change(_options.RefreshDelay(lifetime), Timeout.InfiniteTimeSpan);
    }

    /// <exception cref="StunInvalidResponseException">The response lacks XOR-RELAYED-ADDRESS or LIFETIME.</exception>
    private static TurnAllocation ReadAllocation(ReadOnlySpan<byte> response)
    {
        StunMessageReader reader = StunMessageReader.Parse(response);
        if (!reader.TryGetXorAddress(StunAttributeType.XorRelayedAddress, out IPEndPoint relayed))
        {
            throw new StunInvalidResponseException("The Allocate response has no XOR-RELAYED-ADDRESS.");
        }

        IPEndPoint? mapped = reader.TryGetXorAddress(StunAttributeType.XorMappedAddress, out IPEndPoint m) ? m : null;
        return new TurnAllocation(relayed, mapped, ReadLifetime(reader));
    }

    // LIFETIME (RFC 8656 §18.2): seconds remaining; a success response without it keeps the requested default.
    private static TimeSpan ReadLifetime(StunMessageReader response) =>
        response.TryGetUInt32(StunAttributeType.Lifetime, out uint seconds)
            ? TimeSpan.FromSeconds(seconds)
            : ChannelLifetime;
}
