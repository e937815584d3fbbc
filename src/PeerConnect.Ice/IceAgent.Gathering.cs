using System.Net;
using PeerConnect.Ice.Candidates;
using PeerConnect.Ice.Checks;
using PeerConnect.Ice.Network;
using PeerConnect.Stun;

namespace PeerConnect.Ice;

public sealed partial class IceAgent
{
    private readonly List<LocalBase> _bases = [];
    private readonly List<LocalCandidate> _locals = [];
    private readonly Dictionary<LocalBase, LocalCandidate> _baseCandidates = [];
    private readonly List<RemoteCandidate> _remotes = [];
    private bool _gatheringStarted;
    private int _pendingRelays;
    private int _pendingResolutions;
    private bool _remoteEndOfCandidates;
    private int _generation;

    private async ValueTask StartGatheringAsync()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_gatheringStarted)
        {
            throw new InvalidOperationException("Gathering already started.");
        }

        _gatheringStarted = true;
        SetGatheringState(IceGatheringState.Gathering);
        var addresses = _options.HostAddresses ?? _options.SocketFactory.GetHostAddresses(_options.IncludeLoopback);
        for (int i = 0; i < addresses.Count; i++)
        {
            var transport = _options.SocketFactory.BindUdp(addresses[i]);
            var address = transport.LocalEndPoint;
            var localBase = new LocalBase(transport, new IPEndPoint(addresses[i], address.Port), _bases.Count);
            // RFC 8445 §5.1.2.2: rank interfaces in the order the factory lists them.
            int localPreference = IcePriority.MaxLocalPreference - i;
            var host = new LocalCandidate(MakeLocal(IceCandidateType.Host, localBase.Address, localPreference, null, null), localBase, localBase.Address)
            {
                LocalPreference = localPreference,
            };
            AddBase(localBase, host);
            if (!_options.Lite)
            {
                foreach (var server in _options.StunServers.Where(s => s.AddressFamily == address.AddressFamily))
                {
                    await StartServerBindingAsync(localBase, server).ConfigureAwait(false);
                }
            }
        }

        if (!_options.Lite)
        {
            foreach (var provider in _options.RelayProviders)
            {
                _pendingRelays++;
                _ = AllocateRelayAsync(provider);
            }
        }

        CheckGatheringComplete();
        await SendNextCheckAsync().ConfigureAwait(false);
    }

    private void AddBase(LocalBase localBase, LocalCandidate candidate)
    {
        _bases.Add(localBase);
        _baseCandidates[localBase] = candidate;
        _receiveLoops.Add(Task.Run(() => ReceiveLoopAsync(localBase)));
        AddLocal(candidate);
    }

    private IceCandidate MakeLocal(IceCandidateType type, IPEndPoint address, int localPreference, EndPoint? server, IPEndPoint? related) => new()
    {
        Foundation = IceFoundation.Compute(type, (related ?? address).Address, server, IceProtocol.Udp),
        Component = 1,
        Protocol = IceProtocol.Udp,
        Priority = IcePriority.Candidate(_options.TypePreferences.For(type), localPreference, 1),
        Address = address.Address.ToString(),
        Port = address.Port,
        Type = type,
        RelatedAddress = related?.Address.ToString(),
        RelatedPort = related?.Port,
        Generation = _generation,
        Ufrag = _local.Ufrag,
    };

    /// <summary>Records and trickles a local candidate (RFC 8838 §4) and pairs it with every remote one.</summary>
    private void AddLocal(LocalCandidate local)
    {
        _locals.Add(local);
        IceAgentLog.Gathered(_logger, local.Candidate.ToString());
        Raise(CandidateGathered, local.Candidate);
        // RFC 8445 §6.1.2.4: a server-reflexive local is replaced by its base, whose pairs already exist.
        if (local.Candidate.Type is IceCandidateType.Host or IceCandidateType.Relayed)
        {
            foreach (var remote in _remotes)
            {
                TryPair(local, remote);
            }
        }
    }

    private async Task AllocateRelayAsync(IIceRelayProvider provider)
    {
        IceRelayAllocation? allocation = null;
        try
        {
            allocation = await provider.AllocateAsync(_closing.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !_closing.IsCancellationRequested)
        {
            IceAgentLog.RelayFailed(_logger, e);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        Post(() => OnRelayAllocated(allocation));
    }

    private async ValueTask OnRelayAllocated(IceRelayAllocation? allocation)
    {
        _pendingRelays--;
        if (allocation is not null)
        {
            if (_closed)
            {
                await allocation.Transport.DisposeAsync().ConfigureAwait(false);
                return;
            }

            var localBase = new LocalBase(allocation.Transport, allocation.RelayedEndPoint, _bases.Count);
            // Relays reached over UDP rank above TCP above TLS: fewer round trips and no head-of-line blocking.
            int localPreference = allocation.Protocol switch
            {
                IceRelayProtocol.Udp => IcePriority.MaxLocalPreference,
                IceRelayProtocol.Tcp => IcePriority.MaxLocalPreference / 2,
                _ => IcePriority.MaxLocalPreference / 4,
            } - _bases.Count;
            var candidate = MakeLocal(IceCandidateType.Relayed, allocation.RelayedEndPoint, localPreference, allocation.Server, allocation.MappedEndPoint);
            AddBase(localBase, new LocalCandidate(candidate, localBase, allocation.RelayedEndPoint) { LocalPreference = localPreference });
            await SendNextCheckAsync().ConfigureAwait(false);
        }

        CheckGatheringComplete();
    }

    private async ValueTask StartServerBindingAsync(LocalBase localBase, IPEndPoint server)
    {
        var id = TransactionId.NewRandom();
        var message = new byte[IceStunMessages.MaxLength];
        int length = IceStunMessages.WriteServerBinding(message, id);
        var tx = new IceTransaction(id, TransactionKind.ServerBinding, localBase, server, message[..length]) { Server = server };
        await StartTransactionAsync(tx).ConfigureAwait(false);
    }

    private void OnServerBindingResponse(IceTransaction tx, IPEndPoint? mapped)
    {
        if (mapped is not null && !mapped.Equals(tx.Base.Address)
            && !_locals.Exists(l => l.EndPoint.Equals(mapped) && l.Candidate.Type == IceCandidateType.ServerReflexive))
        {
            var host = _baseCandidates[tx.Base];
            var candidate = MakeLocal(IceCandidateType.ServerReflexive, mapped, host.LocalPreference, tx.Server, tx.Base.Address);
            var learned = _locals.Find(l => l.EndPoint.Equals(mapped) && l.Candidate.Type == IceCandidateType.PeerReflexive);
            if (learned is not null)
            {
                // A check found this mapping first; it is the same address, now known as server-reflexive.
                learned.Candidate = candidate;
                _locals.Remove(learned);
                _checkList.Reprioritise(_role);
                AddLocal(learned);
            }
            else
            {
                AddLocal(new LocalCandidate(candidate, tx.Base, mapped) { LocalPreference = host.LocalPreference });
            }
        }

        CheckGatheringComplete();
    }

    private void CheckGatheringComplete()
    {
        if (_gatheringState == IceGatheringState.Gathering && _pendingRelays == 0
            && !_transactions.Values.Any(t => t.Kind == TransactionKind.ServerBinding))
        {
            SetGatheringState(IceGatheringState.Complete);
            // RFC 8838 §13: end-of-candidates.
            Raise(CandidateGathered, null);
        }
    }

    private async ValueTask AddRemoteAsync(IceCandidate? candidate)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (candidate is null)
        {
            _remoteEndOfCandidates = true;
            return;
        }

        if (candidate.Protocol != IceProtocol.Udp)
        {
            // ICE-TCP (RFC 6544) candidates are parsed but not checked: TURN over TCP covers UDP-hostile networks.
            IceAgentLog.RemoteDropped(_logger, candidate.ToString(), "TCP candidates are not checked");
            return;
        }

        if (candidate.Ufrag is not null && _remote is not null && candidate.Ufrag != _remote.Ufrag)
        {
            // RFC 8838 §11: a candidate of another ICE generation.
            IceAgentLog.RemoteDropped(_logger, candidate.ToString(), "ufrag of another generation");
            return;
        }

        if (candidate.EndPoint is { } endPoint)
        {
            AddRemoteResolved(candidate, endPoint);
            await SendNextCheckAsync().ConfigureAwait(false);
            return;
        }

        if (_options.HostNameResolver is not { } resolver)
        {
            IceAgentLog.RemoteDropped(_logger, candidate.ToString(), "no resolver for host names");
            return;
        }

        _pendingResolutions++;
        _ = ResolveAsync(resolver, candidate);
    }

    private async Task ResolveAsync(IIceHostNameResolver resolver, IceCandidate candidate)
    {
        IPAddress? address = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        timeout.CancelAfter(_options.HostNameResolutionTimeout);
        try
        {
            var addresses = await resolver.ResolveAsync(candidate.Address, timeout.Token).ConfigureAwait(false);
            address = addresses.Count > 0 ? addresses[0] : null;
        }
        catch (OperationCanceledException)
        {
            // Timed out: the candidate is dropped below.
        }

        Post(async () =>
        {
            _pendingResolutions--;
            if (address is null)
            {
                IceAgentLog.RemoteDropped(_logger, candidate.ToString(), "host name did not resolve");
                return;
            }

            AddRemoteResolved(candidate, new IPEndPoint(address, candidate.Port));
            await SendNextCheckAsync().ConfigureAwait(false);
        });
    }

    private RemoteCandidate? AddRemoteResolved(IceCandidate candidate, IPEndPoint endPoint)
    {
        var known = _remotes.Find(r => r.EndPoint.Equals(endPoint));
        if (known is not null)
        {
            if (known.Candidate.Type == IceCandidateType.PeerReflexive && candidate.Type != IceCandidateType.PeerReflexive)
            {
                // RFC 8838 §11.4: the signalled candidate replaces the peer-reflexive one learned from a check.
                known.Candidate = candidate;
                _checkList.Reprioritise(_role);
            }

            return null;
        }

        if (_remotes.Count >= _options.MaxRemoteCandidates)
        {
            IceAgentLog.RemoteDropped(_logger, candidate.ToString(), "too many remote candidates");
            return null;
        }

        var remote = new RemoteCandidate(candidate, endPoint);
        _remotes.Add(remote);
        _dataSources = _dataSources.Add(endPoint);
        IceAgentLog.RemoteAdded(_logger, candidate.ToString());
        foreach (var local in _baseCandidates.Values)
        {
            TryPair(local, remote);
        }

        return remote;
    }

    /// <summary>Forms a pair when the component, address family and scope match (RFC 8445 §6.1.2.2).</summary>
    private CandidatePair? TryPair(LocalCandidate local, RemoteCandidate remote)
    {
        if (_options.Lite
            || local.Candidate.Component != remote.Candidate.Component
            || local.EndPoint.AddressFamily != remote.EndPoint.AddressFamily
            || IPAddress.IsLoopback(local.EndPoint.Address) != IPAddress.IsLoopback(remote.EndPoint.Address))
        {
            return null;
        }

        return _checkList.Add(new CandidatePair(local, remote), _role);
    }
}
