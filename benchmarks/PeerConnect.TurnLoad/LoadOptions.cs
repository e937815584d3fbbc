using System.Globalization;
using System.Net;
using PeerConnect.Stun.Transport;
using PeerConnect.Turn.Client;

namespace PeerConnect.TurnLoad;

/// <summary>Command line of turn-load.</summary>
internal sealed record LoadOptions
{
    public const string Usage = """
        usage: turn-load --server IP:PORT (--user U --password P | --secret S [--user-id ID])
                         [--transport udp|tcp] [--allocations 8] [--payload 120,1200]
                         [--rate PKT_PER_S (0 = flat out, closed loop)] [--window 32]
                         [--warmup 2] [--duration 10] [--server-pid PID] [--peer-address 127.0.0.1]
                         [--relay udp|tcp (tcp: RFC 6062 TCP allocations, a TCP echo peer, --payload is
                          the chunk size and --window the chunks in flight per connection)]
        Loopback only: the server and the echo peer must be on 127.0.0.0/8 or ::1.
        """;

    public required IPEndPoint Server { get; init; }
    public StunTransportProtocol Transport { get; init; } = StunTransportProtocol.Udp;
    public string? User { get; init; }
    public string? Password { get; init; }
    public string? Secret { get; init; }
    public string UserId { get; init; } = "turn-load";
    public int Allocations { get; init; } = 8;
    public int[] Payloads { get; init; } = [120, 1200];
    public double PacketsPerSecond { get; init; }
    public int Window { get; init; } = 32;
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);
    public int? ServerPid { get; init; }
    public IPAddress PeerAddress { get; init; } = IPAddress.Loopback;
    public bool TcpRelay { get; init; }

    public TurnClientOptions ClientOptions(int index) => new()
    {
        Server = Server,
        Transport = Transport,
        Username = Secret is null ? User : null,
        Password = Secret is null ? Password : null,
        RestSecret = Secret,
        RestUserId = Secret is null ? null : $"{UserId}-{index}",
        ReceiveQueueCapacity = 4096,
    };

    /// <exception cref="ArgumentException">A missing or malformed argument.</exception>
    public static LoadOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Expected an option, got '{args[i]}'.");
            }

            values[args[i][2..]] = args[i + 1];
        }

        if (args.Length % 2 != 0)
        {
            throw new ArgumentException($"Option '{args[^1]}' needs a value.");
        }

        CultureInfo c = CultureInfo.InvariantCulture;
        var options = new LoadOptions
        {
            Server = IPEndPoint.Parse(Required(values, "server")),
            Transport = values.GetValueOrDefault("transport", "udp") switch
            {
                "udp" => StunTransportProtocol.Udp,
                "tcp" => StunTransportProtocol.Tcp,
                var other => throw new ArgumentException($"Unknown transport '{other}'."),
            },
            User = values.GetValueOrDefault("user"),
            Password = values.GetValueOrDefault("password"),
            Secret = values.GetValueOrDefault("secret"),
            UserId = values.GetValueOrDefault("user-id", "turn-load"),
            Allocations = int.Parse(values.GetValueOrDefault("allocations", "8"), c),
            Payloads = [.. values.GetValueOrDefault("payload", "120,1200").Split(',').Select(p => int.Parse(p, c))],
            PacketsPerSecond = double.Parse(values.GetValueOrDefault("rate", "0"), c),
            Window = int.Parse(values.GetValueOrDefault("window", "32"), c),
            Warmup = TimeSpan.FromSeconds(double.Parse(values.GetValueOrDefault("warmup", "2"), c)),
            Duration = TimeSpan.FromSeconds(double.Parse(values.GetValueOrDefault("duration", "10"), c)),
            ServerPid = values.TryGetValue("server-pid", out string? pid) ? int.Parse(pid, c) : null,
            PeerAddress = IPAddress.Parse(values.GetValueOrDefault("peer-address", "127.0.0.1")),
            TcpRelay = values.GetValueOrDefault("relay", "udp") switch
            {
                "udp" => false,
                "tcp" => true,
                var other => throw new ArgumentException($"Unknown relay transport '{other}'."),
            },
        };
        if (options.TcpRelay && options.Transport != StunTransportProtocol.Tcp)
        {
            throw new ArgumentException("--relay tcp needs --transport tcp (RFC 6062 allocations are made over TCP).");
        }
        if (!IPAddress.IsLoopback(options.Server.Address) || !IPAddress.IsLoopback(options.PeerAddress))
        {
            throw new ArgumentException("turn-load drives servers on loopback only.");
        }

        if (options.Secret is null && (options.User is null || options.Password is null))
        {
            throw new ArgumentException("Give --user and --password, or --secret.");
        }

        if (options.Allocations < 1 || options.Window < 1 || options.Payloads.Any(p => p is < 8 or > 65000))
        {
            throw new ArgumentException("Allocations and window must be positive; payloads 8 to 65000 bytes.");
        }

        return options;
    }

    private static string Required(Dictionary<string, string> values, string name) =>
        values.TryGetValue(name, out string? value) ? value : throw new ArgumentException($"--{name} is required.");
}
