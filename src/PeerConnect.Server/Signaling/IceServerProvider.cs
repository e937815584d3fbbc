using Microsoft.Extensions.Options;
using PeerConnect.Server.Stun;
using PeerConnect.Signaling.Protocol;
using PeerConnect.Turn;

namespace PeerConnect.Server.Signaling;

/// <summary>
/// The ICE server list one user gets: the configured servers, TURN entries with fresh TURN REST credentials when
/// <c>PeerConnect:Turn:AuthSecret</c> is set, or by default the embedded STUN listener on the host the client used.
/// </summary>
internal sealed class IceServerProvider(
    IOptions<SignalingOptions> options,
    IOptions<TurnListenerOptions> listener,
    IConfiguration configuration,
    TimeProvider timeProvider)
{
    public const string TurnAuthSecretKey = "PeerConnect:Turn:AuthSecret";

    public IReadOnlyList<IceServerInfo> For(string userId, HostString requestHost)
    {
        var configured = options.Value.IceServers;
        if (configured.Count == 0)
        {
            return [new IceServerInfo([$"stun:{requestHost.Host}:{listener.Value.Port}"])];
        }

        var secret = configuration[TurnAuthSecretKey];
        var servers = new List<IceServerInfo>(configured.Count);
        foreach (var server in configured)
        {
            var isTurn = server.Urls.Any(url => url.StartsWith("turn", StringComparison.Ordinal));
            if (isTurn && server.Username is null && !string.IsNullOrEmpty(secret))
            {
                // TURN REST usernames put the expiry before a ':'; a ':' inside the user id would be read as part of it.
                var (username, credential) = TurnRestCredentials.Create(
                    secret, userId.Replace(':', '_'), options.Value.TurnCredentialLifetime, timeProvider);
                servers.Add(new IceServerInfo(server.Urls, username, credential));
            }
            else
            {
                servers.Add(new IceServerInfo(server.Urls, server.Username, server.Credential));
            }
        }

        return servers;
    }
}
