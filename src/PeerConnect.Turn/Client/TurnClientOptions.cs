using System.Net;
using System.Net.Security;
using Microsoft.Extensions.Logging;
using PeerConnect.Stun.Client;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Turn.Client;

/// <summary>Where a <see cref="TurnClient"/> allocates and how it authenticates (RFC 8656 §7.1, RFC 8489 §9.2).</summary>
public sealed record TurnClientOptions
{
    /// <summary>Shortest lifetime this client asks for; servers raise shorter requests to their default, 600 s (RFC 8656 §7.2).</summary>
    public static readonly TimeSpan MinRequestedLifetime = TimeSpan.FromSeconds(30);

    /// <summary>The TURN server's address and port (3478 for UDP/TCP, 5349 for TLS by convention).</summary>
    public required IPEndPoint Server { get; init; }

    /// <summary>Transport to the server: UDP, TCP or TLS over TCP (RFC 8656 §3.1). Defaults to UDP.</summary>
    public StunTransportProtocol Transport { get; init; } = StunTransportProtocol.Udp;

    /// <summary>Name the server's TLS certificate is checked against (SNI); defaults to the server's IP address text.</summary>
    public string? TlsServerName { get; init; }

    /// <summary>
    /// Replaces the default TLS certificate check, e.g. to trust a development server's self-signed certificate.
    /// <see langword="null"/> keeps the platform's chain and name validation.
    /// </summary>
    public RemoteCertificateValidationCallback? TlsCertificateValidation { get; init; }

    /// <summary>Long-term credential username (RFC 8489 §9.2). Set this and <see cref="Password"/>, or the REST pair.</summary>
    public string? Username { get; init; }

    /// <summary>Long-term credential password.</summary>
    public string? Password { get; init; }

    /// <summary>
    /// TURN REST API shared secret: the client mints <c>expiry:user</c> credentials with it at each Allocate
    /// (see <see cref="TurnRestCredentials"/>). Set this and <see cref="RestUserId"/> instead of a username/password.
    /// </summary>
    public string? RestSecret { get; init; }

    /// <summary>The user id part of minted REST credentials; may be empty for an expiry-only username.</summary>
    public string? RestUserId { get; init; }

    /// <summary>How long minted REST credentials stay valid. Default 1 day.</summary>
    public TimeSpan RestCredentialLifetime { get; init; } = TimeSpan.FromDays(1);

    /// <summary>LIFETIME asked for in Allocate and Refresh (RFC 8656 §7.2); the server may grant less or more. Default 600 s.</summary>
    public TimeSpan RequestedLifetime { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>
    /// How long before the allocation, a permission (300 s) or a channel (600 s) expires the client refreshes it.
    /// Lifetimes shorter than twice this margin are refreshed at half their length. Default 60 s.
    /// </summary>
    public TimeSpan RefreshMargin { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Bind a channel to each peer on first use and send ChannelData once it is bound (RFC 8656 §12). Default true.</summary>
    public bool UseChannels { get; init; } = true;

    /// <summary>Relayed datagrams held for <see cref="TurnRelayTransport.ReceiveAsync"/> before new ones are dropped. Default 256.</summary>
    public int ReceiveQueueCapacity { get; init; } = 256;

    /// <summary>
    /// Largest message read from the server: a STUN message or a ChannelData frame. Longer UDP datagrams are
    /// truncated and dropped; over TCP/TLS a longer frame closes the connection. Default 65,535 + 20 bytes.
    /// </summary>
    public int MaxMessageLength { get; init; } = ushort.MaxValue + 20;

    /// <summary>How long <see cref="TurnClient.DisposeAsync"/> waits for the server to confirm the release. Default 5 s.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Retransmission timers over UDP and Ti over TCP/TLS (RFC 8489 §6.2); SOFTWARE is taken from here too.</summary>
    public StunClientOptions Transactions { get; init; } = new();

    /// <summary>Clock for transactions and refresh timers; tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Logging; defaults to none.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Throws when the options cannot work; <see cref="TurnClient"/> calls it on construction.</summary>
    /// <exception cref="ArgumentException">A value is missing, inconsistent or out of range.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Server, nameof(Server));
        ArgumentNullException.ThrowIfNull(Transactions, nameof(Transactions));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        Transactions.Validate();
        if (!Enum.IsDefined(Transport))
        {
            throw new ArgumentOutOfRangeException(nameof(Transport), Transport, "Unknown transport.");
        }
        bool hasStatic = Username is not null || Password is not null;
        bool hasRest = RestSecret is not null || RestUserId is not null;
        if (hasStatic == hasRest)
        {
            throw new ArgumentException($"Set either {nameof(Username)} and {nameof(Password)}, or {nameof(RestSecret)} and {nameof(RestUserId)}.");
        }
        if (hasStatic && (string.IsNullOrEmpty(Username) || string.IsNullOrEmpty(Password)))
        {
            throw new ArgumentException($"{nameof(Username)} and {nameof(Password)} must both be non-empty.");
        }
        if (hasRest && (string.IsNullOrEmpty(RestSecret) || RestUserId is null))
        {
            throw new ArgumentException($"{nameof(RestSecret)} must be non-empty and {nameof(RestUserId)} set (it may be empty).");
        }
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RestCredentialLifetime, TimeSpan.Zero, nameof(RestCredentialLifetime));
        ArgumentOutOfRangeException.ThrowIfLessThan(RequestedLifetime, MinRequestedLifetime, nameof(RequestedLifetime));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RequestedLifetime, TimeSpan.FromSeconds(uint.MaxValue), nameof(RequestedLifetime));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RefreshMargin, TimeSpan.Zero, nameof(RefreshMargin));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveQueueCapacity, 1, nameof(ReceiveQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageLength, 1500, nameof(MaxMessageLength));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CloseTimeout, TimeSpan.Zero, nameof(CloseTimeout));
    }

    /// <summary>When to refresh something that lives <paramref name="lifetime"/>: <see cref="RefreshMargin"/> early, or at half its life.</summary>
    internal TimeSpan RefreshDelay(TimeSpan lifetime) =>
        lifetime > RefreshMargin * 2 ? lifetime - RefreshMargin : lifetime / 2;
}
