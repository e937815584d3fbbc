using System.Net;
using Microsoft.Extensions.Logging;
using PeerConnect.Ice.Network;
using PeerConnect.Stun.Transport;
using PeerConnect.Turn.Client;

namespace PeerConnect.Ice.Servers;

/// <summary>
/// One entry of an ICE server list, shaped like the W3C <c>RTCIceServer</c> and our server's
/// <c>GET /api/ice-servers</c>: <c>{"urls":["stun:…","turn:…?transport=tcp"],"username":"…","credential":"…"}</c>.
/// </summary>
/// <param name="Urls">STUN and TURN URIs (RFC 7064, RFC 7065).</param>
/// <param name="Username">TURN username; ignored for STUN.</param>
/// <param name="Credential">TURN password; ignored for STUN.</param>
public sealed record IceServer(IReadOnlyList<string> Urls, string? Username = null, string? Credential = null)
{
    /// <summary>
    /// Adds the servers to agent options: <c>stun:</c> URIs over UDP become <see cref="IceAgentOptions.StunServers"/>
    /// (resolved now), <c>turn:</c>/<c>turns:</c> URIs become <see cref="TurnRelayProvider"/>s (resolved at gathering).
    /// <c>stun:</c> over TCP/TLS is skipped: the agent's checks and server-reflexive candidates are UDP (RFC 8445 §5.1.1.2).
    /// </summary>
    /// <param name="options">The options to extend.</param>
    /// <param name="servers">The server list.</param>
    /// <param name="configureTurn">Adjusts each TURN client's options (TLS checks, timers); optional.</param>
    /// <param name="loggerFactory">Logging for the TURN clients; optional.</param>
    /// <param name="cancellationToken">Cancels DNS lookups.</param>
    /// <exception cref="FormatException">A URI is malformed.</exception>
    /// <exception cref="ArgumentException">A TURN entry lacks its username or credential.</exception>
    public static async Task<IceAgentOptions> ConfigureAsync(
        IceAgentOptions options,
        IEnumerable<IceServer> servers,
        Func<TurnClientOptions, TurnClientOptions>? configureTurn = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(servers);
        var stun = new List<IPEndPoint>(options.StunServers);
        var relays = new List<IIceRelayProvider>(options.RelayProviders);
        foreach (IceServer server in servers)
        {
            foreach (string url in server.Urls)
            {
                IceServerUri uri = IceServerUri.Parse(url);
                if (uri.Kind == IceServerKind.Turn)
                {
                    if (string.IsNullOrEmpty(server.Username) || string.IsNullOrEmpty(server.Credential))
                    {
                        throw new ArgumentException($"{url}: a TURN server needs a username and a credential.", nameof(servers));
                    }

                    relays.Add(new TurnRelayProvider(uri, server.Username, server.Credential, configureTurn, loggerFactory));
                }
                else if (uri.Transport == StunTransportProtocol.Udp)
                {
                    stun.Add(await uri.ResolveAsync(cancellationToken).ConfigureAwait(false));
                }
            }
        }

        return options with { StunServers = stun, RelayProviders = relays };
    }
}
