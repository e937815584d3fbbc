using System.Net;
using Microsoft.Extensions.Logging;

namespace PeerConnect.Stun.Client;

/// <summary>Log messages of the STUN client; event ids 1100–1199.</summary>
internal static partial class StunClientLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Debug, Message = "STUN transaction {TransactionId} to {Server} started")]
    public static partial void TransactionStarted(ILogger logger, TransactionId transactionId, EndPoint server);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Dropped a datagram from {Source} that is not STUN ({Error})")]
    public static partial void DroppedUnparseable(ILogger logger, IPEndPoint source, StunParseError error);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, Message = "Dropped a response from {Source} for no pending transaction ({TransactionId})")]
    public static partial void DroppedUnmatched(ILogger logger, IPEndPoint source, TransactionId transactionId);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Debug, Message = "STUN stream connection to {Server} opened from {Local}")]
    public static partial void StreamConnected(ILogger logger, EndPoint server, EndPoint? local);
}
