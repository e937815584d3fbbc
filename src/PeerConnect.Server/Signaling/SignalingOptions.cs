namespace PeerConnect.Server.Signaling;

/// <summary>Signaling server settings, bound from <c>PeerConnect:Signaling</c> and validated at start.</summary>
internal sealed record SignalingOptions
{
    public const string SectionName = "PeerConnect:Signaling";

    /// <summary>How often each side sends <c>ping</c>. Default 15 s.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A connection that sends nothing for this long is closed (4008) and its session waits for a resume. Default 45 s.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>How long a dropped session keeps its id, rooms and held messages. Default 30 s.</summary>
    public TimeSpan ResumeWindow { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest client message accepted. Default 64 KiB.</summary>
    public int MaxMessageBytes { get; init; } = 64 * 1024;

    /// <summary>Sustained client messages per second per connection. Default 50.</summary>
    public double RateLimitPerSecond { get; init; } = 50;

    /// <summary>Client messages a connection may send at once above the sustained rate. Default 200.</summary>
    public int RateLimitBurst { get; init; } = 200;

    /// <summary>Members per room. Default 16.</summary>
    public int MaxMembersPerRoom { get; init; } = 16;

    /// <summary>Rooms on this server. Default 10 000.</summary>
    public int MaxRooms { get; init; } = 10_000;

    /// <summary>Rooms one session may be in. Default 8.</summary>
    public int MaxRoomsPerSession { get; init; } = 8;

    /// <summary>Open WebSocket connections on this server. Default 10 000.</summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>Sequenced messages held per session until the client acknowledges them. Default 1024.</summary>
    public int MaxUnackedMessages { get; init; } = 1024;

    /// <summary>Browser origins allowed to open <c>/ws</c> (e.g. <c>https://app.example.com</c>); empty allows any.</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    /// <summary>ICE servers handed to clients; empty means the embedded STUN listener at <c>stun:&lt;request host&gt;:3478</c>.</summary>
    public IReadOnlyList<IceServerOptions> IceServers { get; init; } = [];

    /// <summary>Lifetime of TURN REST credentials. Default 1 h.</summary>
    public TimeSpan TurnCredentialLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// StackExchange.Redis connection string (e.g. <c>127.0.0.1:6379</c>). When set, servers sharing it act as one:
    /// sessions, numbering, held messages and rooms live in Redis. Unset: everything stays in this process.
    /// </summary>
    public string? Redis { get; init; }

    /// <summary>
    /// With <see cref="Redis"/>: how long a server's presence lasts without renewal (it renews every third of this).
    /// When it lapses, another server adopts the dead server's sessions as away. Default 10 s.
    /// </summary>
    public TimeSpan PresenceTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// An <c>address:port</c> (e.g. <c>0.0.0.0:8081</c>) for a second, WebSocket-only listener that serves
    /// <c>ws://host:port/ws</c> without Kestrel's HTTP layer: several times less memory per idle connection, for
    /// servers holding many. Plain <c>ws:</c>; put TLS in front of it. Unset (the default): off, and <c>/ws</c> is
    /// served by Kestrel only.
    /// </summary>
    public string? WebSocketListener { get; init; }

    /// <summary>How long a client of <see cref="WebSocketListener"/> has to send its whole handshake request. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Signed-token authentication; off (anonymous) unless a key is set.</summary>
    public JwtOptions Jwt { get; init; } = new();
}

/// <summary>One configured ICE server.</summary>
internal sealed record IceServerOptions
{
    /// <summary><c>stun:</c>, <c>turn:</c> or <c>turns:</c> URLs.</summary>
    public IReadOnlyList<string> Urls { get; init; } = [];

    /// <summary>Static TURN username; when absent and a TURN auth secret is set, REST credentials are issued.</summary>
    public string? Username { get; init; }

    /// <summary>Static TURN password.</summary>
    public string? Credential { get; init; }
}

/// <summary>JWT settings (RFC 7519); set exactly one of <see cref="SigningKey"/> and <see cref="PublicKeyPem"/> to enable.</summary>
internal sealed record JwtOptions
{
    /// <summary>Base64 HMAC key of at least 32 bytes, for HS256 tokens.</summary>
    public string? SigningKey { get; init; }

    /// <summary>PEM public key (RSA or EC) for RS256/PS256/ES256 tokens.</summary>
    public string? PublicKeyPem { get; init; }

    /// <summary>Required <c>iss</c>, if set.</summary>
    public string? Issuer { get; init; }

    /// <summary>Required <c>aud</c>, if set.</summary>
    public string? Audience { get; init; }

    /// <summary>Claim holding the user id. Default <c>sub</c>.</summary>
    public string UserIdClaim { get; init; } = "sub";

    /// <summary>Claim listing the rooms the user may join (<c>*</c> for any). Default <c>rooms</c>.</summary>
    public string RoomsClaim { get; init; } = "rooms";

    public bool Enabled => SigningKey is not null || PublicKeyPem is not null;
}
