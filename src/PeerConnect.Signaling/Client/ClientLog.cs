using Microsoft.Extensions.Logging;

namespace PeerConnect.Signaling.Client;

/// <summary>Client log messages; event ids 7100–7199 are stable.</summary>
internal static partial class ClientLog
{
    [LoggerMessage(7100, LogLevel.Debug, "Connected as session {SessionId} (resumed: {Resumed})")]
    public static partial void Connected(ILogger logger, string sessionId, bool resumed);

    [LoggerMessage(7101, LogLevel.Information, "Connection lost; reconnecting")]
    public static partial void ConnectionLost(ILogger logger, Exception? exception);

    [LoggerMessage(7102, LogLevel.Debug, "Reconnect attempt failed; next in {Delay}")]
    public static partial void ReconnectFailed(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(7103, LogLevel.Warning, "A SignalingClient event handler threw")]
    public static partial void HandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(7104, LogLevel.Warning, "Could not rejoin room {Room} after the session was lost")]
    public static partial void RejoinFailed(ILogger logger, Exception exception, string room);

    [LoggerMessage(7106, LogLevel.Warning, "Ignored a server message that did not decode")]
    public static partial void BadServerMessage(ILogger logger, Exception exception);

    [LoggerMessage(7107, LogLevel.Warning, "The resend buffer is full; message {ClientSeq} can no longer be resent after a drop")]
    public static partial void ResendBufferFull(ILogger logger, long clientSeq);

    [LoggerMessage(7108, LogLevel.Debug, "Resent {Count} messages the server had not processed (after cseq {Ack})")]
    public static partial void Resent(ILogger logger, int count, long ack);

    [LoggerMessage(7105, LogLevel.Warning, "The server refused the client ({Reason}); not reconnecting")]
    public static partial void Refused(ILogger logger, string reason);
}
