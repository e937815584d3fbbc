using System.Net.WebSockets;
using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Signaling.Client;

/// <summary>Settings for <see cref="SignalingClient"/>.</summary>
public sealed record SignalingClientOptions
{
    /// <summary>The server's WebSocket endpoint, e.g. <c>ws://127.0.0.1:5000/ws</c>.</summary>
    public required Uri ServerUri { get; init; }

    /// <summary>Encoding: <see cref="SignalingSubprotocols.Json"/> (default) or <see cref="SignalingSubprotocols.Cbor"/>.</summary>
    public string Subprotocol { get; init; } = SignalingSubprotocols.Json;

    /// <summary>Supplies a JWT for servers that require one; called on every (re)connect so it can be refreshed.</summary>
    public Func<CancellationToken, ValueTask<string?>>? AccessTokenProvider { get; init; }

    /// <summary>Adjusts the WebSocket before it connects (headers such as <c>Origin</c>, proxy, certificates).</summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; init; }

    /// <summary>Reconnect and resume after the connection drops. Default <see langword="true"/>.</summary>
    public bool AutoReconnect { get; init; } = true;

    /// <summary>First delay before reconnecting; doubled after each failure. Default 200 ms.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest delay between reconnect attempts. Default 5 s.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Acknowledge after this many sequenced messages (heartbeats and the signals this client sends also carry the acknowledgement). Default 16.</summary>
    public int AckEvery { get; init; } = 16;

    /// <summary>
    /// How many sent <c>join</c>, <c>leave</c> and <c>signal</c> messages the client keeps until the server
    /// acknowledges their <c>cseq</c>, to resend them after a resume. When it is full the oldest loses that
    /// protection; the client asks for an acknowledgement (a <c>ping</c>) each time a quarter of it fills. Default 256.
    /// </summary>
    public int ResendBufferSize { get; init; } = 256;

    /// <summary>How long <see cref="SignalingClient.JoinAsync"/> and <see cref="SignalingClient.LeaveAsync"/> wait for the answer. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest server message accepted. Default 1 MiB.</summary>
    public int MaxReceiveBytes { get; init; } = 1024 * 1024;

    /// <summary>Messages buffered for each <see cref="SignalingClient.ReadAllAsync"/> reader before the receive loop waits for it. Default 1024.</summary>
    public int ReaderCapacity { get; init; } = 1024;
}
