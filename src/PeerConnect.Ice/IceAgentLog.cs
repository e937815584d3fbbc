using System.Net;
using Microsoft.Extensions.Logging;

namespace PeerConnect.Ice;

/// <summary>Log messages of the ICE agent; event ids 1300–1399.</summary>
internal static partial class IceAgentLog
{
    [LoggerMessage(EventId = 1300, Level = LogLevel.Debug, Message = "Gathered local candidate {Candidate}")]
    public static partial void Gathered(ILogger logger, string candidate);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Debug, Message = "Added remote candidate {Candidate}")]
    public static partial void RemoteAdded(ILogger logger, string candidate);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Selected candidate pair {Pair}")]
    public static partial void Selected(ILogger logger, string pair);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Information, Message = "Role conflict: switching to {Role}")]
    public static partial void RoleSwitched(ILogger logger, IceRole role);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Information, Message = "Connection state {State}")]
    public static partial void ConnectionState(ILogger logger, IceConnectionState state);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Warning, Message = "Consent lost on {Pair}: no response for {Elapsed}")]
    public static partial void ConsentLost(ILogger logger, string pair, TimeSpan elapsed);

    [LoggerMessage(EventId = 1306, Level = LogLevel.Debug, Message = "Sending to {Remote} from {Local} failed")]
    public static partial void SendFailed(ILogger logger, Exception exception, IPEndPoint local, EndPoint remote);

    [LoggerMessage(EventId = 1307, Level = LogLevel.Debug, Message = "Dropped a STUN request from {Remote}: {Reason}")]
    public static partial void RequestRejected(ILogger logger, IPEndPoint remote, string reason);

    [LoggerMessage(EventId = 1308, Level = LogLevel.Debug, Message = "Check {Pair} {Outcome}")]
    public static partial void CheckOutcome(ILogger logger, string pair, string outcome);

    [LoggerMessage(EventId = 1309, Level = LogLevel.Error, Message = "ICE agent event failed")]
    public static partial void EventFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1310, Level = LogLevel.Debug, Message = "Dropped remote candidate {Candidate}: {Reason}")]
    public static partial void RemoteDropped(ILogger logger, string candidate, string reason);

    [LoggerMessage(EventId = 1311, Level = LogLevel.Warning, Message = "Relay allocation failed")]
    public static partial void RelayFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1313, Level = LogLevel.Debug, Message = "Pacing checks at Ta {Ta}, the larger of both agents' proposals")]
    public static partial void PacingAgreed(ILogger logger, TimeSpan ta);

    [LoggerMessage(EventId = 1312, Level = LogLevel.Debug, Message = "Receive loop on {Local} ended")]
    public static partial void ReceiveLoopEnded(ILogger logger, Exception exception, IPEndPoint local);
}
