using System.Net;
using Microsoft.Extensions.Logging;
using PeerConnect.Stun;

namespace PeerConnect.Turn.Client;

/// <summary>Log messages of the TURN client; event ids 1500–1599.</summary>
internal static partial class TurnClientLog
{
    [LoggerMessage(EventId = 1500, Level = LogLevel.Information, Message = "TURN allocation on {Server}: relayed {Relayed}, mapped {Mapped}, lifetime {LifetimeSeconds} s")]
    public static partial void Allocated(ILogger logger, IPEndPoint server, IPEndPoint relayed, IPEndPoint? mapped, double lifetimeSeconds);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Debug, Message = "TURN {Method} answered {Code}; retrying with realm {Realm} and the new nonce")]
    public static partial void Challenged(ILogger logger, StunMethod method, int code, string? realm);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Debug, Message = "TURN allocation refreshed, lifetime {LifetimeSeconds} s")]
    public static partial void Refreshed(ILogger logger, double lifetimeSeconds);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Warning, Message = "TURN allocation on {Server} lost")]
    public static partial void AllocationLost(ILogger logger, IPEndPoint server, Exception exception);

    [LoggerMessage(EventId = 1504, Level = LogLevel.Debug, Message = "TURN permissions installed for {Count} peer(s)")]
    public static partial void PermissionsInstalled(ILogger logger, int count);

    [LoggerMessage(EventId = 1505, Level = LogLevel.Warning, Message = "TURN CreatePermission for {Peer} failed")]
    public static partial void PermissionFailed(ILogger logger, IPEndPoint peer, Exception exception);

    [LoggerMessage(EventId = 1506, Level = LogLevel.Debug, Message = "TURN channel 0x{Channel:X4} bound to {Peer}")]
    public static partial void ChannelBound(ILogger logger, ushort channel, IPEndPoint peer);

    [LoggerMessage(EventId = 1507, Level = LogLevel.Warning, Message = "TURN ChannelBind for {Peer} failed; sending to it with Send indications")]
    public static partial void ChannelBindFailed(ILogger logger, IPEndPoint peer, Exception exception);

    [LoggerMessage(EventId = 1508, Level = LogLevel.Debug, Message = "Dropped a TURN response for transaction {TransactionId}: {Reason}")]
    public static partial void DroppedResponse(ILogger logger, TransactionId transactionId, string reason);

    [LoggerMessage(EventId = 1509, Level = LogLevel.Debug, Message = "Dropped a {Length}-byte datagram from {Source}: {Reason}")]
    public static partial void DroppedDatagram(ILogger logger, int length, IPEndPoint source, string reason);

    [LoggerMessage(EventId = 1510, Level = LogLevel.Debug, Message = "TURN allocation on {Server} released")]
    public static partial void Released(ILogger logger, IPEndPoint server);

    [LoggerMessage(EventId = 1511, Level = LogLevel.Warning, Message = "Releasing the TURN allocation on {Server} failed")]
    public static partial void ReleaseFailed(ILogger logger, IPEndPoint server, Exception exception);

    [LoggerMessage(EventId = 1512, Level = LogLevel.Warning, Message = "TURN Refresh failed; retrying in {RetrySeconds} s")]
    public static partial void RefreshFailed(ILogger logger, double retrySeconds, Exception exception);
}
