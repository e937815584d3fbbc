using PeerConnect.Ice.Candidates;
using PeerConnect.Ice.Checks;
using PeerConnect.Stun;

namespace PeerConnect.Ice;

public sealed partial class IceAgent
{
    private DateTimeOffset _lastConsentAt;
    private DateTimeOffset _consentNextAt;
    private bool _consentExpired;

    /// <summary>RFC 7675 §5.1: the next consent check 0.8–1.2 × the interval from now, so peers do not synchronise.</summary>
    private void ScheduleConsent()
    {
        double jitter = 0.8 + (0.4 * Random.Shared.NextDouble());
        _consentNextAt = _time.GetUtcNow() + (_options.ConsentInterval * jitter);
    }

    /// <summary>
    /// Consent freshness on the selected pair (RFC 7675 §5.1). Consent checks also serve as the keepalives of
    /// RFC 8445 §11, which lets agents that run consent freshness skip separate Binding indications.
    /// </summary>
    private async ValueTask ConsentTickAsync()
    {
        if (_selected is null || _consentExpired || _options.Lite)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var silence = now - _lastConsentAt;
        if (silence >= _options.ConsentTimeout)
        {
            // RFC 7675 §5.1: consent expired; stop sending on the pair at once.
            _consentExpired = true;
            Pipe.SetRoute(null, null);
            IceAgentLog.ConsentLost(_logger, _selected.ToString(), silence);
            return;
        }

        if (now < _consentNextAt || _remote is null)
        {
            return;
        }

        ScheduleConsent();
        var id = TransactionId.NewRandom();
        var message = new byte[IceStunMessages.MaxLength];
        uint priority = IcePriority.Candidate(_options.TypePreferences.PeerReflexive, _selected.Local.LocalPreference, _selected.Local.Candidate.Component);
        int length = IceStunMessages.WriteCheck(message, id, _remote.Ufrag + ":" + _local.Ufrag, priority, _role, _tieBreaker, useCandidate: false, _remoteKey);
        var tx = new IceTransaction(id, TransactionKind.Consent, _selected.Local.Base, _selected.Remote.EndPoint, message[..length])
        {
            Pair = _selected,
            Role = _role,
            Key = _remoteKey,
        };
        await StartTransactionAsync(tx).ConfigureAwait(false);
    }

    private async ValueTask RestartCoreAsync()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        _generation++;
        var fresh = FreshParameters(_options);
        Volatile.Write(ref _local, fresh);
        _localKey = StunCredentials.ShortTermKey(fresh.Password);
        _remote = null;
        _remoteKey = null;
        _remoteEndOfCandidates = false;
        _consentExpired = false;
        _remotes.Clear();
        _nominating.Clear();
        _checkList.Clear();
        foreach (var tx in _transactions.Values.Where(t => t.Kind == TransactionKind.Check).ToList())
        {
            _transactions.Remove(tx.Id);
        }

        if (_selected is not null)
        {
            // Data keeps flowing on the old pair until the new session nominates one (RFC 8445 §9).
            Pipe.SetRoute(_selected.Local.Base.Transport, _selected.Remote.EndPoint);
        }

        // Re-signal every gathered candidate under the new ufrag: the sockets and their mappings are unchanged.
        var previous = _locals.Where(l => l.Candidate.Type != IceCandidateType.PeerReflexive).ToList();
        _locals.Clear();
        SetGatheringState(IceGatheringState.Gathering);
        foreach (var old in previous)
        {
            var renewed = new LocalCandidate(old.Candidate with { Generation = _generation, Ufrag = fresh.Ufrag }, old.Base, old.EndPoint)
            {
                LocalPreference = old.LocalPreference,
            };
            if (_baseCandidates.TryGetValue(old.Base, out var baseCandidate) && baseCandidate == old)
            {
                _baseCandidates[old.Base] = renewed;
            }

            AddLocal(renewed);
        }

        CheckGatheringComplete();
        await ValueTask.CompletedTask.ConfigureAwait(false);
    }
}
