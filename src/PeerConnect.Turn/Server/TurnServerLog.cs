using System.Net;
using Microsoft.Extensions.Logging;

namespace PeerConnect.Turn.Server;

/// <summary>The TURN server's log messages, with stable event ids (3000–3099).</summary>
internal static partial class TurnServerLog
{
    [LoggerMessage(3000, LogLevel.Information, "Allocation {Relayed} for {User} from {Client} ({Transport}), lifetime {Lifetime}")]
    public static partial void AllocationCreated(ILogger logger, IPEndPoint relayed, string user, IPEndPoint client, TurnClientTransport transport, TimeSpan lifetime);

    [LoggerMessage(3001, LogLevel.Information, "Allocation {Relayed} for {User} ended: {Reason}")]
    public static partial void AllocationDeleted(ILogger logger, IPEndPoint relayed, string user, string reason);

    [LoggerMessage(3002, LogLevel.Debug, "Request {Method} from {Client} refused: {Code} {Reason}")]
    public static partial void RequestRefused(ILogger logger, Stun.StunMethod method, IPEndPoint client, int code, string reason);

    [LoggerMessage(3003, LogLevel.Warning, "No relay port free for {Client}: answered 508")]
    public static partial void NoRelayPort(ILogger logger, IPEndPoint client);

    [LoggerMessage(3004, LogLevel.Debug, "Permission for {Peer} on {Relayed} refused by policy")]
    public static partial void PeerForbidden(ILogger logger, IPAddress peer, IPEndPoint relayed);

    [LoggerMessage(3005, LogLevel.Warning, "Relay loop of {Relayed} failed")]
    public static partial void RelayLoopFailed(ILogger logger, Exception exception, IPEndPoint relayed);

    [LoggerMessage(3007, LogLevel.Debug, "TCP relay {Relayed}: connection {ConnectionId} with {Peer} opened ({Origin})")]
    public static partial void TcpConnectionOpened(ILogger logger, IPEndPoint relayed, uint connectionId, IPEndPoint peer, string origin);

    [LoggerMessage(3008, LogLevel.Debug, "TCP relay {Relayed}: Connect to {Peer} failed: {Reason}")]
    public static partial void TcpConnectFailed(ILogger logger, IPEndPoint relayed, IPEndPoint peer, string reason);

    [LoggerMessage(3009, LogLevel.Debug, "TCP relay {Relayed}: connection {ConnectionId} bound for {User}")]
    public static partial void TcpConnectionBound(ILogger logger, IPEndPoint relayed, uint connectionId, string user);

    [LoggerMessage(3006, LogLevel.Error, "Handling {Method} failed")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, Stun.StunMethod method);
}
