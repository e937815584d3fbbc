using System.Net;
using Microsoft.Extensions.Logging;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Stun.Server;

/// <summary>Log messages of the STUN server; event ids 1200–1299.</summary>
internal static partial class StunServerLog
{
    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "STUN listening on {Transport} {EndPoint}")]
    public static partial void Listening(ILogger logger, StunTransportProtocol transport, IPEndPoint endPoint);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "STUN RFC 5780 behaviour discovery on {Primary} with alternate {Alternate}")]
    public static partial void BehaviorDiscoveryEnabled(ILogger logger, IPEndPoint primary, IPEndPoint alternate);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "STUN server stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Debug, Message = "Dropped a malformed {Transport} message ({Error})")]
    public static partial void DroppedMalformed(ILogger logger, StunTransportProtocol transport, StunParseError error);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "STUN {Transport} receive loop on {EndPoint} hit an error and goes on")]
    public static partial void ReceiveError(ILogger logger, Exception exception, StunTransportProtocol transport, IPEndPoint endPoint);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Debug, Message = "STUN {Transport} response could not be sent")]
    public static partial void SendFailed(ILogger logger, Exception exception, StunTransportProtocol transport);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Debug, Message = "STUN {Transport} connection from {Remote} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, StunTransportProtocol transport, EndPoint? remote, string reason);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Warning, Message = "STUN {Transport} connection limit {Limit} reached; closing a new connection")]
    public static partial void ConnectionLimitReached(ILogger logger, StunTransportProtocol transport, int limit);

    [LoggerMessage(EventId = 1208, Level = LogLevel.Error, Message = "STUN method handler failed on a {Method} request")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, StunMethod method);

    [LoggerMessage(EventId = 1209, Level = LogLevel.Error, Message = "STUN packet handler failed")]
    public static partial void PacketHandlerFailed(ILogger logger, Exception exception);
}
