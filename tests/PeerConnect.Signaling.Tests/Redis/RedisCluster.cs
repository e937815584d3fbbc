using PeerConnect.Signaling.Tests.Infrastructure;

namespace PeerConnect.Signaling.Tests.Redis;

/// <summary>A <c>redis-server</c> and several signaling servers sharing it.</summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private readonly List<SignalingServer?> _servers = [];

    private RedisCluster(RedisServer redis) => Redis = redis;

    public RedisServer Redis { get; }

    public SignalingServer this[int index] => _servers[index] ?? throw new InvalidOperationException($"Server {index} was stopped.");

    public static async Task<RedisCluster> StartAsync(int servers, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var cluster = new RedisCluster(await RedisServer.StartAsync());
        var merged = new Dictionary<string, string?>
        {
            ["PeerConnect:Signaling:Redis"] = cluster.Redis.ConnectionString,
            ["PeerConnect:Signaling:PresenceTimeout"] = "00:00:02",

            // Raw test clients stay silent while a server stops; keep them from idling out meanwhile.
            ["PeerConnect:Signaling:IdleTimeout"] = "00:01:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }

        for (var i = 0; i < servers; i++)
        {
            cluster._servers.Add(SignalingServer.Start(merged));
        }

        return cluster;
    }

    /// <summary>Stops one server as a deployment would, taking its connections down with it.</summary>
    public async Task StopServerAsync(int index)
    {
        var server = this[index];
        _servers[index] = null;
        await server.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }

        await Redis.DisposeAsync();
    }
}
