using System.Net;

namespace PeerConnect.Turn.Client;

/// <summary>Work for the client's serial owner: API calls, refresh timers, and the send path's first-use requests.</summary>
internal abstract record TurnCommand;

internal sealed record AllocateCommand(TaskCompletionSource<TurnAllocation> Completion) : TurnCommand;

/// <summary>Refresh the allocation before its lifetime runs out (RFC 8656 §8).</summary>
internal sealed record RefreshCommand : TurnCommand
{
    public static RefreshCommand Instance { get; } = new();
}

/// <summary>Install or refresh permissions (RFC 8656 §10); consecutive ones go out as one CreatePermission.</summary>
internal sealed record PermissionCommand(IReadOnlyList<IPEndPoint> Peers, TaskCompletionSource? Completion) : TurnCommand;

/// <summary>Bind or refresh a channel (RFC 8656 §12); without a completion it came from the send path or a timer.</summary>
internal sealed record ChannelCommand(IPEndPoint Peer, TaskCompletionSource<ushort>? Completion) : TurnCommand;

/// <summary>Delete the allocation with a LIFETIME 0 Refresh (RFC 8656 §8).</summary>
internal sealed record CloseCommand(TaskCompletionSource Completion) : TurnCommand;
