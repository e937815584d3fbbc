using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Server.Signaling;

/// <summary>Work for <see cref="SignalingHub"/>'s loop; everything that changes sessions or rooms arrives as one of these.</summary>
internal abstract record HubCommand;

/// <summary>A new connection, possibly asking to resume a session.</summary>
internal sealed record AttachCommand(
    ISignalingConnection Connection,
    SignalingPrincipal Principal,
    Func<string, IReadOnlyList<IceServerInfo>> IceServersFor,
    string? ResumeToken,
    long LastSeq) : HubCommand;

/// <summary>A decoded client message.</summary>
internal sealed record InboundCommand(ISignalingConnection Connection, SignalingMessage Message, long ReceivedAt) : HubCommand;

/// <summary>
/// A client message the connection refused before decoding it (too large, rate limited, malformed). With a close
/// status, the connection closes after the error, and after anything the hub queued for it earlier.
/// </summary>
internal sealed record RejectCommand(ISignalingConnection Connection, ErrorMessage Error, int? CloseStatus = null, string? CloseReason = null) : HubCommand;

/// <summary>The connection is gone; <paramref name="EndSession"/> when the client closed normally rather than dropped.</summary>
internal sealed record DetachCommand(ISignalingConnection Connection, bool EndSession) : HubCommand;

/// <summary>A delivery from the backplane for a local session.</summary>
internal sealed record DeliverCommand(SignalingDelivery Delivery) : HubCommand;

/// <summary>The resume window of an away session ended.</summary>
internal sealed record ExpireCommand(SignalingSession Session, long AwayGeneration) : HubCommand;

/// <summary>A shared backplane refused to relay a signal; tell its sender (an <c>error</c>, or <c>expired</c> for a full backlog).</summary>
internal sealed record RelayRefusedCommand(string SenderSessionId, SignalingMessage Answer) : HubCommand;

/// <summary>Another server took over this session (its client resumed there); forget it without telling its rooms.</summary>
internal sealed record MovedCommand(string SessionId) : HubCommand;

/// <summary>A server died; take over these of its sessions as away, each waiting for a resume.</summary>
internal sealed record AdoptCommand(string DeadServer, IReadOnlyList<string> SessionIds) : HubCommand;

/// <summary>The shared store is reachable again; write the local sessions back.</summary>
internal sealed record ResyncCommand : HubCommand;

/// <summary>
/// A shared backplane's routing call was answered: the hub flushes what it routed meanwhile (nothing else to do; the
/// loop flushes after every command).
/// </summary>
internal sealed record FlushCommand : HubCommand
{
    public static readonly FlushCommand Instance = new();
}

/// <summary>Time to extend the shared store's expiry of the local sessions.</summary>
internal sealed record KeepAliveCommand : HubCommand;
