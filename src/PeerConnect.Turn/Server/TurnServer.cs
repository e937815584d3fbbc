using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PeerConnect.Stun;

namespace PeerConnect.Turn.Server;

/// <summary>Edge policies a deployment may replace (pion/turn style): who may authenticate and which peers are reachable.</summary>
public sealed record TurnServerPolicies
{
    /// <summary>Credential lookup; defaults to <see cref="TurnCredentialStore"/> over the options.</summary>
    public ITurnAuthenticator? Authenticator { get; init; }

    /// <summary>Peer filtering; defaults to <see cref="PeerAddressPolicy"/> over the options.</summary>
    public ITurnPermissionPolicy? PermissionPolicy { get; init; }

    /// <summary>
    /// Extra allocation quota on top of the counts in the options: given the user and how many allocations they hold,
    /// false refuses the Allocate with 486 (RFC 8656 §7.2). Defaults to none.
    /// </summary>
    public Func<string, int, bool>? AllocationQuota { get; init; }
}

/// <summary>
/// The TURN server core (RFC 8656, RFC 8489 long-term credentials): allocations keyed by 5-tuple, permissions,
/// channels, and the relay between clients and peers. It opens no client-facing sockets: a listener hands every
/// non-Binding STUN message and every ChannelData message to <see cref="Process"/>, together with the socket or
/// connection it came on, and the core answers into the caller's buffer and sends relayed data back through
/// <see cref="ITurnClientSender"/>. Relay sockets come from an <see cref="ITurnRelaySocketFactory"/>.
/// </summary>
public sealed partial class TurnServer : IAsyncDisposable
{
    private readonly TurnServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TurnServerMetrics _metrics;
    private readonly ITurnRelaySocketFactory _relaySockets;
    private readonly ITurnAuthenticator _authenticator;
    private readonly ITurnPermissionPolicy _permissionPolicy;
    private readonly Func<string, int, bool>? _allocationQuota;
    private readonly TurnNonces _nonces;
    private readonly UnauthenticatedRateLimiter _rateLimiter;
    private readonly ConcurrentDictionary<TurnFiveTuple, TurnAllocation> _allocations = new();
    private readonly Dictionary<string, int> _allocationsPerUser = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ulong, Reservation> _reservations = new();
    private readonly Lock _tableLock = new();
    private readonly ITimer _sweepTimer;
    private readonly IPAddress _advertisedV4;
    private readonly IPAddress? _advertisedV6;
    private readonly RelayReceiveThreads? _relayThreads;
    private int _pendingAllocations;
    private int _disposed;

    /// <summary>Creates the core and starts its expiry sweep.</summary>
    /// <param name="options">Behaviour; validated now.</param>
    /// <param name="relaySockets">Opens relay sockets; defaults to UDP sockets in the configured port range.</param>
    /// <param name="policies">Authentication, permission and quota policies; defaults from the options.</param>
    /// <param name="loggerFactory">Logging; defaults to none.</param>
    /// <param name="timeProvider">Clock for lifetimes, nonces and rate limits; defaults to the system clock.</param>
    /// <param name="meterFactory">Creates the <c>PeerConnect.Turn</c> meter; defaults to a meter of its own.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public TurnServer(
        TurnServerOptions options,
        ITurnRelaySocketFactory? relaySockets = null,
        TurnServerPolicies? policies = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<TurnServer>();
        _metrics = new TurnServerMetrics(meterFactory);
        _relaySockets = relaySockets ?? new UdpRelaySocketFactory(options);
        _authenticator = policies?.Authenticator ?? new TurnCredentialStore(options, _time);
        _permissionPolicy = policies?.PermissionPolicy ?? new PeerAddressPolicy(options);
        _allocationQuota = policies?.AllocationQuota;
        _nonces = new TurnNonces(_time, options.NonceLifetime);
        _rateLimiter = new UnauthenticatedRateLimiter(_time, options.UnauthenticatedResponsesPerSecond);
        _advertisedV4 = AdvertisedAddress(options.ExternalAddress, options.RelayAddress, AddressFamily.InterNetwork)!;
        _advertisedV6 = options.RelayAddressV6 is null ? null : AdvertisedAddress(options.ExternalAddress, options.RelayAddressV6, AddressFamily.InterNetworkV6);
        _relayThreads = options.RelayReceiveThreads > 0 && LinuxSockets.IsSupported
            ? new RelayReceiveThreads(options.RelayReceiveThreads, options.MaxRelayDatagramLength, RelayToClient, _metrics, _logger)
            : null;
        _sweepTimer = _time.CreateTimer(_ => Sweep(), null, SweepInterval, SweepInterval);
    }

    private static TimeSpan SweepInterval => TimeSpan.FromSeconds(1);

    /// <summary>Allocations currently held.</summary>
    public int AllocationCount => _allocations.Count;

    /// <summary>The meter the instruments are on; for tests that listen to it.</summary>
    internal Meter Meter => _metrics.Meter;

    /// <summary>
    /// Handles one message from a client: a STUN request or indication of a TURN method, or a ChannelData message.
    /// Never throws for bad input; unparseable packets are dropped.
    /// </summary>
    /// <param name="link">The socket or connection it arrived on.</param>
    /// <param name="client">The client's address and port.</param>
    /// <param name="packet">The message (over streams, one whole framed message).</param>
    /// <param name="response">Buffer for a response; 548 bytes or more.</param>
    /// <returns>The length of the response written into <paramref name="response"/>, or 0 to send nothing.</returns>
    public int Process(ITurnClientLink link, TurnAddress client, ReadOnlySpan<byte> packet, Span<byte> response)
    {
        ArgumentNullException.ThrowIfNull(link);
        var fiveTuple = new TurnFiveTuple(client, link.Id, link.Transport);
        // RFC 7983 §7: 64–79 is ChannelData; 80–127 too when RFC 5766 channel numbers are accepted.
        if (packet.Length >= ChannelDataFrame.HeaderLength && packet[0] is >= 0x40 and <= 0x7F)
        {
            RelayChannelData(fiveTuple, packet);
            return 0;
        }
        if (!StunMessageReader.TryParse(packet, out var message, out _) || (message.HasFingerprint && !message.VerifyFingerprint()))
        {
            _metrics.Dropped("malformed");
            return 0;
        }
        if (message.Class == StunMessageClass.Indication)
        {
            if (message.Method == StunMethod.Send)
            {
                RelaySendIndication(fiveTuple, message);
            }
            return 0;
        }
        if (message.Class != StunMessageClass.Request)
        {
            return 0;
        }
        try
        {
            return HandleRequest(link, fiveTuple, message, response);
        }
#pragma warning disable CA1031 // A faulty request must not end the caller's receive loop; the client gets a 500.
        catch (Exception e)
#pragma warning restore CA1031
        {
            TurnServerLog.HandlerFailed(_logger, e, message.Method);
            return Error(message, StunErrorCodes.ServerError, response);
        }
    }

    /// <summary>Ends every allocation of a TCP or TLS connection that closed (RFC 8656 §3.1: the allocation dies with it).</summary>
    /// <param name="link">The connection.</param>
    public void ConnectionClosed(ITurnClientLink link)
    {
        ArgumentNullException.ThrowIfNull(link);
        foreach (var (fiveTuple, allocation) in _allocations)
        {
            if (fiveTuple.ListenerId == link.Id && fiveTuple.Transport == link.Transport)
            {
                Remove(allocation, "connection closed");
            }
        }
    }

    /// <summary>Deletes every allocation and stops the sweep.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }
        _sweepTimer.Dispose();
        foreach (var allocation in _allocations.Values)
        {
            Remove(allocation, "server stopping");
        }
        _relayThreads?.Dispose();
        foreach (var key in _reservations.Keys)
        {
            if (_reservations.TryRemove(key, out var reservation))
            {
                reservation.Socket.Dispose();
            }
        }
        _metrics.Dispose();
        return ValueTask.CompletedTask;
    }

    private int HandleRequest(ITurnClientLink link, TurnFiveTuple fiveTuple, StunMessageReader request, Span<byte> response)
    {
        Span<ushort> unknown = stackalloc ushort[8];
        int unknownCount = request.CopyUnknownComprehensionRequired(unknown);
        if (unknownCount > 0)
        {
            // RFC 8489 §6.3.1.1: before anything else, 420 naming what we do not understand.
            return Unauthenticated(fiveTuple, request, StunErrorCodes.UnknownAttribute, challenge: false, unknown[..Math.Min(unknownCount, unknown.Length)], response);
        }
        if (request.Method is not (StunMethod.Allocate or StunMethod.Refresh or StunMethod.CreatePermission or StunMethod.ChannelBind
            or StunMethod.Connect or StunMethod.ConnectionBind))
        {
            return Unauthenticated(fiveTuple, request, StunErrorCodes.BadRequest, challenge: false, [], response);
        }
        if (!TryAuthenticate(fiveTuple, request, response, out var auth, out int refusal))
        {
            return refusal;
        }
        return request.Method switch
        {
            StunMethod.Allocate => Allocate(link, fiveTuple, request, auth, response),
            StunMethod.Refresh => Refresh(fiveTuple, request, auth, response),
            StunMethod.CreatePermission => CreatePermission(fiveTuple, request, auth, response),
            StunMethod.Connect => Connect(fiveTuple, request, auth, response),
            StunMethod.ConnectionBind => ConnectionBind(link, fiveTuple, request, auth, response),
            _ => ChannelBind(fiveTuple, request, auth, response),
        };
    }

    /// <summary>RFC 8656 §12: 0x4000–0x4FFF; RFC 5766 §11's 0x4000–0x7FFF when configured.</summary>
    private bool IsValidChannel(ushort number) =>
        ChannelDataFrame.IsValidChannelNumber(number) || (_options.AllowRfc5766ChannelNumbers && number is >= 0x5000 and <= 0x7FFF);

    private long Now => _time.GetTimestamp();

    private long After(TimeSpan span) => Now + (long)(span.TotalSeconds * _time.TimestampFrequency);

    /// <summary>The allocation of this 5-tuple, unless it has expired (an expired one is removed on the spot).</summary>
    private TurnAllocation? Find(TurnFiveTuple fiveTuple)
    {
        if (!_allocations.TryGetValue(fiveTuple, out var allocation))
        {
            return null;
        }
        if (allocation.Expires <= Now)
        {
            Remove(allocation, "expired");
            return null;
        }
        return allocation;
    }

    private void Remove(TurnAllocation allocation, string reason)
    {
        lock (_tableLock)
        {
            if (!_allocations.TryRemove(new KeyValuePair<TurnFiveTuple, TurnAllocation>(allocation.FiveTuple, allocation)))
            {
                return;
            }
            int held = _allocationsPerUser.GetValueOrDefault(allocation.Username);
            if (held <= 1)
            {
                _allocationsPerUser.Remove(allocation.Username);
            }
            else
            {
                _allocationsPerUser[allocation.Username] = held - 1;
            }
            if (allocation.FiveTuple.IsStream)
            {
                // Inside the table lock: a new Allocate on the same connection commits only after this, so its
                // HoldsAllocation comes later and wins.
                allocation.Link.AllocationEnded();
            }
        }
        allocation.Closing.Cancel();
        int permissions, channels;
        lock (allocation.Sync)
        {
            permissions = allocation.PermissionCount;
            channels = allocation.ChannelCount;
        }
        foreach (var relay in allocation.Relays)
        {
            relay.Dispose();
        }
        _metrics.PermissionsChanged(-permissions);
        _metrics.ChannelsChanged(-channels);
        _metrics.AllocationRemoved();
        TurnServerLog.AllocationDeleted(_logger, allocation.Relays[0].LocalAddress.ToEndPoint(), allocation.Username, reason);
    }

    private void Sweep()
    {
        long now = Now;
        foreach (var allocation in _allocations.Values)
        {
            if (allocation.Expires <= now)
            {
                Remove(allocation, "expired");
                continue;
            }
            (int permissions, int channels) removed;
            lock (allocation.Sync)
            {
                removed = allocation.Sweep(now);
            }
            if (removed.permissions > 0)
            {
                _metrics.PermissionsChanged(-removed.permissions);
            }
            if (removed.channels > 0)
            {
                _metrics.ChannelsChanged(-removed.channels);
            }
        }
        foreach (var (token, reservation) in _reservations)
        {
            if (reservation.Expires <= now && _reservations.TryRemove(token, out _))
            {
                reservation.Socket.Dispose();
            }
        }
    }

    private static IPAddress? AdvertisedAddress(IPAddress? external, IPAddress bound, AddressFamily family)
    {
        if (external is not null && external.AddressFamily == family)
        {
            return external;
        }
        if (!bound.Equals(IPAddress.Any) && !bound.Equals(IPAddress.IPv6Any))
        {
            return bound;
        }
        // A wildcard relay socket has no address to advertise; use the host's first non-loopback one of the family.
        var host = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .FirstOrDefault(a => a.AddressFamily == family && !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal);
        return host ?? (family == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback);
    }

    private TurnAddress Advertised(ITurnRelaySocket relay)
    {
        var advertised = relay.LocalAddress.IsIPv4 ? _advertisedV4 : _advertisedV6 ?? IPAddress.IPv6Loopback;
        return TurnAddress.FromEndPoint(new IPEndPoint(advertised, relay.LocalAddress.Port));
    }

    private sealed record Reservation(ITurnRelaySocket Socket, long Expires);
}
