namespace PeerConnect.Server.Signaling;

/// <summary>Signaling log messages; event ids 7000–7099 are stable.</summary>
internal static partial class SignalingLog
{
    [LoggerMessage(7000, LogLevel.Debug, "Session {SessionId} started for user {UserId}")]
    public static partial void SessionStarted(ILogger logger, string sessionId, string userId);

    [LoggerMessage(7001, LogLevel.Debug, "Session {SessionId} resumed from sequence {LastSeq}, replaying {Count} messages")]
    public static partial void SessionResumed(ILogger logger, string sessionId, long lastSeq, int count);

    [LoggerMessage(7002, LogLevel.Debug, "Session {SessionId} lost its connection; holding it for {Window}")]
    public static partial void SessionAway(ILogger logger, string sessionId, TimeSpan window);

    [LoggerMessage(7003, LogLevel.Debug, "Session {SessionId} ended ({Reason})")]
    public static partial void SessionEnded(ILogger logger, string sessionId, string reason);

    [LoggerMessage(7004, LogLevel.Information, "Resume refused: {Why}")]
    public static partial void ResumeRefused(ILogger logger, string why);

    [LoggerMessage(7010, LogLevel.Information, "Refused WebSocket from origin {Origin}")]
    public static partial void OriginRefused(ILogger logger, string origin);

    [LoggerMessage(7011, LogLevel.Information, "Refused WebSocket: {Why}")]
    public static partial void ConnectionRefused(ILogger logger, string why);

    [LoggerMessage(7012, LogLevel.Debug, "Closing connection: {Code} {Reason}")]
    public static partial void Closing(ILogger logger, int code, string reason);

    [LoggerMessage(7020, LogLevel.Debug, "Client sent a bad message: {Detail}")]
    public static partial void BadMessage(ILogger logger, string detail);

    [LoggerMessage(7021, LogLevel.Debug, "Session {SessionId} ignored a resent message (cseq {ClientSeq}, already processed through {Processed})")]
    public static partial void DuplicateIgnored(ILogger logger, string sessionId, long clientSeq, long processed);

    [LoggerMessage(7030, LogLevel.Error, "Signaling hub failed processing {Command}")]
    public static partial void HubFailure(ILogger logger, Exception exception, string command);

    [LoggerMessage(7031, LogLevel.Debug, "WebSocket connection ended with an error")]
    public static partial void ConnectionFailed(ILogger logger, Exception exception);

    [LoggerMessage(7005, LogLevel.Debug, "Session {SessionId} taken over from another server with {Count} held messages")]
    public static partial void SessionTakenOver(ILogger logger, string sessionId, int count);

    [LoggerMessage(7040, LogLevel.Warning, "Shared signaling store unreachable; serving local sessions only")]
    public static partial void BackplaneLost(ILogger logger, Exception? exception);

    [LoggerMessage(7041, LogLevel.Information, "Shared signaling store reachable again; writing local sessions back")]
    public static partial void BackplaneRestored(ILogger logger);

    [LoggerMessage(7042, LogLevel.Warning, "Shared signaling store operation {Operation} failed")]
    public static partial void BackplaneOperationFailed(ILogger logger, Exception exception, string operation);

    [LoggerMessage(7043, LogLevel.Information, "Server {DeadServer} stopped renewing its presence; adopting {Count} of its sessions")]
    public static partial void AdoptingSessions(ILogger logger, string deadServer, int count);

    [LoggerMessage(7032, LogLevel.Error, "A signaling connection failed unexpectedly")]
    public static partial void ConnectionCrashed(ILogger logger, Exception exception);

    [LoggerMessage(7050, LogLevel.Information, "Signaling WebSocket listener on ws://{EndPoint}/ws")]
    public static partial void WebSocketListening(ILogger logger, System.Net.IPEndPoint endPoint);

    [LoggerMessage(7051, LogLevel.Debug, "Refused WebSocket handshake: {Status} {Reason}")]
    public static partial void HandshakeRefused(ILogger logger, int status, string reason);

    [LoggerMessage(7052, LogLevel.Warning, "Signaling WebSocket listener could not accept a connection")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);
}
