using System.Net;
using PeerConnect.Ice.Candidates;
using PeerConnect.Ice.Checks;
using PeerConnect.Stun;

namespace PeerConnect.Ice;

public sealed partial class IceAgent
{
    private readonly Dictionary<TransactionId, IceTransaction> _transactions = [];
    private readonly HashSet<CandidatePair> _nominating = [];
    private long? _lastCheckAt;
    private CandidatePair? _selected;

    private async ValueTask ApplyRemoteParametersAsync(IceParameters remote)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        _remote = remote;
        _remoteKey = StunCredentials.ShortTermKey(remote.Password);
        // RFC 8445 §14.2: both agents use the larger proposed Ta; a peer that proposes none counts as the default.
        var agreed = TimeSpan.FromTicks(Math.Max(_options.CheckPacing.Ticks, (remote.Pacing ?? IceParameters.DefaultPacing).Ticks));
        if (!_options.Lite && agreed != _ta)
        {
            _ta = agreed;
            _ticker.Change(agreed, agreed);
            IceAgentLog.PacingAgreed(_logger, agreed);
        }
        if (remote.IsLite && !_options.Lite && _role == IceRole.Controlled)
        {
            // RFC 8445 §6.1.1: facing a lite peer, the full agent controls.
            SwitchRole(IceRole.Controlling);
        }

        await SendNextCheckAsync().ConfigureAwait(false);
    }

    private async ValueTask StartTransactionAsync(IceTransaction tx)
    {
        var now = _time.GetUtcNow();
        tx.Rto = _options.CheckRetransmissionTimeout;
        tx.NextAt = now + tx.Rto;
        _transactions[tx.Id] = tx;
        _lastCheckAt = _time.GetTimestamp();
        await SendAsync(tx.Base, tx.Message, tx.Destination).ConfigureAwait(false);
    }

    /// <summary>RFC 8489 §6.2.1: retransmit at RTO, 2×RTO, …; after the last transmission wait once more, then time out.</summary>
    private async ValueTask RetransmitDueAsync()
    {
        var now = _time.GetUtcNow();
        List<IceTransaction>? due = null;
        foreach (var tx in _transactions.Values)
        {
            if (now >= tx.NextAt)
            {
                (due ??= []).Add(tx);
            }
        }

        if (due is null)
        {
            return;
        }

        foreach (var tx in due)
        {
            if (tx.Retired || tx.Transmissions >= _options.MaxCheckTransmissions)
            {
                _transactions.Remove(tx.Id);
                if (!tx.Retired)
                {
                    OnTransactionTimeout(tx);
                }

                continue;
            }

            tx.Transmissions++;
            tx.Rto *= 2;
            tx.NextAt = now + tx.Rto;
            await SendAsync(tx.Base, tx.Message, tx.Destination).ConfigureAwait(false);
        }
    }

    private void OnTransactionTimeout(IceTransaction tx)
    {
        switch (tx.Kind)
        {
            case TransactionKind.ServerBinding:
                CheckGatheringComplete();
                break;
            case TransactionKind.Check when tx.Pair is { } pair:
                _nominating.Remove(pair);
                if (pair.State == PairState.InProgress)
                {
                    pair.State = PairState.Failed;
                    IceAgentLog.CheckOutcome(_logger, pair.ToString(), "timed out");
                }

                break;
        }
    }

    /// <summary>
    /// Starts at most one check per Ta (RFC 8445 §6.1.4.2, §14.2). Called on every tick and whenever a pair or
    /// credentials appear, so the first check goes out at once instead of a tick later.
    /// </summary>
    private async ValueTask SendNextCheckAsync()
    {
        if (_closed || _options.Lite || _remote is null)
        {
            return;
        }

        // Monotonic, like the pacing timer, so a timer that fired on time never finds Ta a few microseconds short.
        var wait = _lastCheckAt is { } last ? _ta - _time.GetElapsedTime(last) : TimeSpan.Zero;
        if (wait > TimeSpan.Zero)
        {
            // Wake exactly when Ta has passed rather than at the next tick, which may be almost 2 Ta away.
            _pacer.Change(wait, Timeout.InfiniteTimeSpan);
            return;
        }

        if (NextNomination() is { } nominee)
        {
            _nominating.Add(nominee);
            await SendCheckAsync(nominee, useCandidate: true).ConfigureAwait(false);
            return;
        }

        if (_checkList.NextCheck() is { } pair)
        {
            await SendCheckAsync(pair, useCandidate: false).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Regular nomination (RFC 8445 §8.1.1): the controlling agent nominates the best valid pair, and again whenever a
    /// valid pair better than the selected one appears later, so the path upgrades (e.g. relay to direct).
    /// </summary>
    private CandidatePair? NextNomination()
    {
        if (_role != IceRole.Controlling || _nominating.Count > 0)
        {
            return null;
        }

        CandidatePair? best = null;
        foreach (var p in _checkList.AllValid)
        {
            if (!p.Nominated && (best is null || p.Priority > best.Priority))
            {
                best = p;
            }
        }

        return best is not null && (_selected is null || !IsCurrent(_selected) || best.Priority > _selected.Priority) ? best : null;
    }

    private async ValueTask SendCheckAsync(CandidatePair pair, bool useCandidate)
    {
        var id = TransactionId.NewRandom();
        var message = new byte[IceStunMessages.MaxLength];
        // RFC 8445 §7.1.1: PRIORITY is what a peer-reflexive candidate learned from this check would get.
        uint prflxPriority = IcePriority.Candidate(_options.TypePreferences.PeerReflexive, pair.Local.LocalPreference, pair.Local.Candidate.Component);
        int length = IceStunMessages.WriteCheck(message, id, _remote!.Ufrag + ":" + _local.Ufrag, prflxPriority, _role, _tieBreaker, useCandidate, _remoteKey);
        if (pair.State != PairState.Succeeded)
        {
            pair.State = PairState.InProgress;
        }

        var tx = new IceTransaction(id, TransactionKind.Check, pair.Local.Base, pair.Remote.EndPoint, message[..length])
        {
            Pair = pair,
            UseCandidate = useCandidate,
            PrflxPriority = prflxPriority,
            Role = _role,
            Key = _remoteKey,
        };
        await StartTransactionAsync(tx).ConfigureAwait(false);
    }

    private async ValueTask OnStunAsync(LocalBase localBase, ReadOnlyMemory<byte> datagram, IPEndPoint source)
    {
        if (_closed)
        {
            return;
        }

        source = Normalize(source);
        if (!StunMessageReader.TryParse(datagram.Span, out var message, out _) || message.Method != StunMethod.Binding)
        {
            return;
        }

        switch (message.Class)
        {
            case StunMessageClass.Request:
                await OnRequestAsync(localBase, datagram, source).ConfigureAwait(false);
                break;
            case StunMessageClass.SuccessResponse or StunMessageClass.ErrorResponse:
                OnResponse(localBase, datagram, source);
                break;
        }

        await SendNextCheckAsync().ConfigureAwait(false);
    }

    private async ValueTask OnRequestAsync(LocalBase localBase, ReadOnlyMemory<byte> datagram, IPEndPoint source)
    {
        var outcome = ValidateRequest(datagram.Span, out var id, out uint priority, out bool useCandidate, out IceRole? theirRole, out ulong theirTieBreaker);
        if (outcome != 0)
        {
            IceAgentLog.RequestRejected(_logger, source, outcome.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (outcome > 0)
            {
                var error = new byte[IceStunMessages.MaxLength];
                await SendAsync(localBase, error.AsMemory(0, IceStunMessages.WriteError(error, id, outcome, default)), source).ConfigureAwait(false);
            }

            return;
        }

        // RFC 8445 §7.3.1.1: role conflicts are repaired by the larger tie-breaker.
        if (theirRole == _role)
        {
            bool weWin = _tieBreaker >= theirTieBreaker;
            if (_role == IceRole.Controlling ? weWin : !weWin)
            {
                var error = new byte[IceStunMessages.MaxLength];
                int n = IceStunMessages.WriteError(error, id, StunErrorCodes.RoleConflict, _localKey);
                await SendAsync(localBase, error.AsMemory(0, n), source).ConfigureAwait(false);
                return;
            }

            SwitchRole(_role == IceRole.Controlling ? IceRole.Controlled : IceRole.Controlling);
        }

        // RFC 8445 §7.3.1.3: an unknown source is a peer-reflexive remote candidate.
        var remote = _remotes.Find(r => r.EndPoint.Equals(source))
            ?? AddRemoteResolved(
                new IceCandidate
                {
                    Foundation = IceFoundation.Compute(IceCandidateType.PeerReflexive, source.Address, null, IceProtocol.Udp),
                    Priority = priority,
                    Address = source.Address.ToString(),
                    Port = source.Port,
                    Type = IceCandidateType.PeerReflexive,
                },
                source);

        var response = new byte[IceStunMessages.MaxLength];
        int length = IceStunMessages.WriteSuccess(response, id, source, _localKey);
        await SendAsync(localBase, response.AsMemory(0, length), source).ConfigureAwait(false);
        if (remote is null)
        {
            return;
        }

        if (_options.Lite)
        {
            // RFC 8445 §2.5: a lite agent selects what the full agent nominates; it never checks itself.
            if (useCandidate)
            {
                var litePair = new CandidatePair(_baseCandidates[localBase], remote) { State = PairState.Succeeded, Valid = true, Nominated = true };
                _checkList.AddValidOnly(litePair, _role);
                Select();
            }

            return;
        }

        var pair = _checkList.Find(localBase, source) ?? TryPair(_baseCandidates[localBase], remote);
        if (pair is null)
        {
            return;
        }

        // RFC 8445 §7.3.1.4: triggered checks.
        switch (pair.State)
        {
            case PairState.InProgress:
                foreach (var tx in _transactions.Values)
                {
                    tx.Retired |= tx.Pair == pair && !tx.UseCandidate;
                }

                _checkList.Trigger(pair);
                break;
            case PairState.Waiting or PairState.Frozen or PairState.Failed:
                _checkList.Trigger(pair);
                break;
        }

        // RFC 8445 §7.3.1.5: the controlled agent learns the nomination.
        if (useCandidate && _role == IceRole.Controlled)
        {
            if (pair.State == PairState.Succeeded)
            {
                (pair.ValidPair ?? pair).Nominated = true;
                Select();
            }
            else
            {
                pair.NominateOnSuccess = true;
            }
        }
    }

    /// <summary>
    /// RFC 8445 §7.3, RFC 8489 §9.1.3: returns 0 when the request is authentic, a STUN error code to answer with,
    /// or -1 to drop silently (no FINGERPRINT: on a shared socket it may not be STUN at all).
    /// </summary>
    private int ValidateRequest(ReadOnlySpan<byte> datagram, out TransactionId id, out uint priority, out bool useCandidate, out IceRole? theirRole, out ulong theirTieBreaker)
    {
        var message = StunMessageReader.Parse(datagram);
        id = message.TransactionId;
        priority = 0;
        useCandidate = false;
        theirRole = null;
        theirTieBreaker = 0;
        if (!message.HasFingerprint || !message.VerifyFingerprint())
        {
            return -1;
        }

        if (!message.TryGetString(StunAttributeType.Username, out string username) || !message.HasMessageIntegrity)
        {
            return StunErrorCodes.BadRequest;
        }

        int colon = username.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || username[..colon] != _local.Ufrag || !message.VerifyMessageIntegrity(_localKey))
        {
            return StunErrorCodes.Unauthorized;
        }

        if (!message.TryGetUInt32(StunAttributeType.Priority, out priority) || priority == 0)
        {
            return StunErrorCodes.BadRequest;
        }

        useCandidate = message.HasAttribute(StunAttributeType.UseCandidate);
        if (message.TryGetUInt64(StunAttributeType.IceControlling, out theirTieBreaker))
        {
            theirRole = IceRole.Controlling;
        }
        else if (message.TryGetUInt64(StunAttributeType.IceControlled, out theirTieBreaker))
        {
            theirRole = IceRole.Controlled;
        }

        return 0;
    }

    private void OnResponse(LocalBase localBase, ReadOnlyMemory<byte> datagram, IPEndPoint source)
    {
        var message = StunMessageReader.Parse(datagram.Span);
        if (!_transactions.TryGetValue(message.TransactionId, out var tx) || tx.Base != localBase)
        {
            return;
        }

        if (tx.Kind == TransactionKind.ServerBinding)
        {
            _transactions.Remove(tx.Id);
            OnServerBindingResponse(tx, message.Class == StunMessageClass.SuccessResponse && message.TryGetXorAddress(StunAttributeType.XorMappedAddress, out var srflx) ? Normalize(srflx) : null);
            return;
        }

        // RFC 8445 §7.2.5.1: a response that fails integrity is discarded as if never received.
        if (tx.Key is null || !message.HasMessageIntegrity || !message.VerifyMessageIntegrity(tx.Key))
        {
            return;
        }

        _transactions.Remove(tx.Id);
        var pair = tx.Pair!;
        if (tx.UseCandidate)
        {
            _nominating.Remove(pair);
        }

        if (message.Class == StunMessageClass.ErrorResponse)
        {
            message.TryGetErrorCode(out int code, out _);
            if (code == StunErrorCodes.RoleConflict && tx.Kind == TransactionKind.Check)
            {
                // RFC 8445 §7.2.5.1: take the role opposite to the one the request claimed, then retry the pair.
                var wanted = tx.Role == IceRole.Controlling ? IceRole.Controlled : IceRole.Controlling;
                if (_role != wanted)
                {
                    SwitchRole(wanted);
                }

                _checkList.Trigger(pair);
            }
            else if (tx.Kind == TransactionKind.Check && pair.State == PairState.InProgress)
            {
                pair.State = PairState.Failed;
                IceAgentLog.CheckOutcome(_logger, pair.ToString(), $"failed with {code}");
            }

            return;
        }

        // RFC 8445 §7.2.5.2.1: addresses must be symmetric.
        if (!source.Equals(tx.Destination))
        {
            if (pair.State == PairState.InProgress)
            {
                pair.State = PairState.Failed;
            }

            return;
        }

        if (tx.Kind == TransactionKind.Consent)
        {
            if (pair == _selected)
            {
                _lastConsentAt = _time.GetUtcNow();
            }

            return;
        }

        if (!message.TryGetXorAddress(StunAttributeType.XorMappedAddress, out var mappedRaw))
        {
            pair.State = PairState.Failed;
            return;
        }

        OnCheckSucceeded(tx, pair, Normalize(mappedRaw));
    }

    /// <summary>RFC 8445 §7.2.5.3: discover peer-reflexive locals, build the valid pair, unfreeze, apply nomination.</summary>
    private void OnCheckSucceeded(IceTransaction tx, CandidatePair pair, IPEndPoint mapped)
    {
        var local = _locals.Find(l => l.Base == tx.Base && l.EndPoint.Equals(mapped));
        if (local is null)
        {
            // RFC 8445 §7.2.5.3.1: a peer-reflexive local candidate, not signalled to the peer.
            var candidate = new IceCandidate
            {
                Foundation = IceFoundation.Compute(IceCandidateType.PeerReflexive, tx.Base.Address.Address, null, IceProtocol.Udp),
                Priority = tx.PrflxPriority,
                Address = mapped.Address.ToString(),
                Port = mapped.Port,
                Type = IceCandidateType.PeerReflexive,
                RelatedAddress = tx.Base.Address.Address.ToString(),
                RelatedPort = tx.Base.Address.Port,
            };
            local = new LocalCandidate(candidate, tx.Base, mapped) { LocalPreference = pair.Local.LocalPreference };
            _locals.Add(local);
        }

        var valid = local == pair.Local ? pair : _checkList.FindValid(local, pair.Remote.EndPoint);
        if (valid is null)
        {
            valid = new CandidatePair(local, pair.Remote);
            _checkList.AddValidOnly(valid, _role);
        }

        pair.State = PairState.Succeeded;
        valid.State = PairState.Succeeded;
        valid.Valid = true;
        pair.ValidPair = valid;
        _checkList.UnfreezeFoundation(pair.Foundation);
        IceAgentLog.CheckOutcome(_logger, valid.ToString(), "succeeded");
        if (tx.UseCandidate || (pair.NominateOnSuccess && _role == IceRole.Controlled))
        {
            valid.Nominated = true;
        }

        if (valid == _selected)
        {
            _lastConsentAt = _time.GetUtcNow();
        }

        Select();
    }

    /// <summary>Uses the best nominated valid pair of the current session; keeps an old session's pair until then (RFC 8445 §9).</summary>
    private void Select()
    {
        CandidatePair? best = null;
        foreach (var p in _checkList.AllValid)
        {
            if (p.Nominated && (best is null || p.Priority > best.Priority))
            {
                best = p;
            }
        }

        if (best is null || best == _selected || (_selected is not null && IsCurrent(_selected) && best.Priority <= _selected.Priority))
        {
            return;
        }

        _selected = best;
        SelectedPair = best.ToInfo();
        _lastConsentAt = _time.GetUtcNow();
        ScheduleConsent();
        _consentExpired = false;
        Pipe.SetRoute(best.Local.Base.Transport, best.Remote.EndPoint);
        IceAgentLog.Selected(_logger, SelectedPair.ToString());
        Raise(SelectedPairChanged, SelectedPair);
    }

    private bool IsCurrent(CandidatePair pair) => _checkList.Pairs.Contains(pair) || _checkList.ValidOnly.Contains(pair);

    private void SwitchRole(IceRole role)
    {
        _role = role;
        _checkList.Reprioritise(role);
        IceAgentLog.RoleSwitched(_logger, role);
    }
}
