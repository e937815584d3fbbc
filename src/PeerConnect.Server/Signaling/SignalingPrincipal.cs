namespace PeerConnect.Server.Signaling;

/// <summary>Who opened a connection.</summary>
/// <param name="UserId">The token's user id; <see langword="null"/> for anonymous users, who are known by their session id.</param>
/// <param name="AllowedRooms">Rooms the user may join; <see langword="null"/> for any.</param>
internal sealed record SignalingPrincipal(string? UserId, IReadOnlySet<string>? AllowedRooms)
{
    public static SignalingPrincipal Anonymous { get; } = new(null, null);

    public bool MayJoin(string room) => AllowedRooms is null || AllowedRooms.Contains(room);
}
