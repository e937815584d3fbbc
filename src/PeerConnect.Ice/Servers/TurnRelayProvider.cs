using System.Net;
using Microsoft.Extensions.Logging;
using PeerConnect.Ice.Network;
using PeerConnect.Stun.Transport;
using PeerConnect.Turn.Client;

namespace PeerConnect.Ice.Servers;

/// <summary>
/// Relayed candidates from a TURN server through our <see cref="TurnClient"/> (RFC 8445 §5.1.1.2): each
/// <see cref="AllocateAsync"/> opens a connection over UDP, TCP or TLS, allocates a UDP relayed address
/// (RFC 8656 §7.1, answering the 401 challenge with the long-term credential) and hands the agent the client's
/// <see cref="TurnRelayTransport"/>. The agent owns the transport from then on; disposing it releases the allocation.
/// </summary>
public sealed class TurnRelayProvider : IIceRelayProvider
{
    private readonly IceServerUri _uri;
    private readonly string _username;
    private readonly string _credential;
    private readonly Func<TurnClientOptions, TurnClientOptions>? _configure;
    private readonly ILoggerFactory? _loggerFactory;

    /// <summary>A provider for one <c>turn:</c>/<c>turns:</c> URI with a static long-term credential.</summary>
    /// <param name="uri">The server; its <see cref="IceServerUri.Transport"/> picks UDP, TCP or TLS.</param>
    /// <param name="username">The RTCIceServer <c>username</c> (a plain user or a TURN REST <c>expiry:user</c>).</param>
    /// <param name="credential">The RTCIceServer <c>credential</c>.</param>
    /// <param name="configure">Adjusts the client options, e.g. a TLS certificate check or timers; optional.</param>
    /// <param name="loggerFactory">Logging for the TURN client; optional.</param>
    /// <exception cref="ArgumentException">The URI is not a TURN URI, or a credential is missing.</exception>
    public TurnRelayProvider(IceServerUri uri, string username, string credential, Func<TurnClientOptions, TurnClientOptions>? configure = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (uri.Kind != IceServerKind.Turn)
        {
            throw new ArgumentException($"{uri} is not a TURN server.", nameof(uri));
        }

        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentException.ThrowIfNullOrEmpty(credential);
        _uri = uri;
        _username = username;
        _credential = credential;
        _configure = configure;
        _loggerFactory = loggerFactory;
    }

    /// <summary>The server this provider allocates on.</summary>
    public IceServerUri Uri => _uri;

    /// <summary>Resolves the server, connects, allocates; the returned transport belongs to the caller.</summary>
    /// <exception cref="PeerConnect.Stun.Client.StunErrorResponseException">The server refused, e.g. 401 after the challenge (wrong credentials) or 486.</exception>
    /// <exception cref="PeerConnect.Stun.Client.StunTimeoutException">The server did not answer.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The name did not resolve or the TCP connection was refused.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The TLS handshake failed.</exception>
    public async ValueTask<IceRelayAllocation?> AllocateAsync(CancellationToken cancellationToken)
    {
        (TurnClient client, IPEndPoint server) = await ConnectCoreAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            TurnAllocation allocation = await client.AllocateAsync(cancellationToken).ConfigureAwait(false);
            return new IceRelayAllocation(
                client.Relay,
                allocation.RelayedEndPoint,
                // RFC 8839 §5.1: raddr/rport of a relayed candidate is the mapped address the server saw.
                allocation.MappedEndPoint ?? client.LocalEndPoint,
                server,
                _uri.Transport switch
                {
                    StunTransportProtocol.Udp => IceRelayProtocol.Udp,
                    StunTransportProtocol.Tcp => IceRelayProtocol.Tcp,
                    _ => IceRelayProtocol.Tls,
                });
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Opens a TURN client to the server without allocating; the caller disposes it. Used by diagnostics too.</summary>
    /// <param name="cancellationToken">Cancels resolving and connecting.</param>
    public async Task<TurnClient> ConnectAsync(CancellationToken cancellationToken = default) =>
        (await ConnectCoreAsync(cancellationToken).ConfigureAwait(false)).Client;

    private async Task<(TurnClient Client, IPEndPoint Server)> ConnectCoreAsync(CancellationToken cancellationToken)
    {
        IPEndPoint server = await _uri.ResolveAsync(cancellationToken).ConfigureAwait(false);
        var options = new TurnClientOptions
        {
            Server = server,
            Transport = _uri.Transport,
            Username = _username,
            Password = _credential,
            // RFC 8656 §3.1 / RFC 6125: a TLS server is checked against the name in the URI, not its address.
            TlsServerName = IPAddress.TryParse(_uri.Host, out _) ? null : _uri.Host,
            LoggerFactory = _loggerFactory,
        };
        options = _configure?.Invoke(options) ?? options;
        return (await TurnClient.ConnectAsync(options, cancellationToken).ConfigureAwait(false), server);
    }
}
