using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Server.Signaling;

/// <summary>A room's members in join order. Owned by <see cref="SignalingHub"/>'s loop.</summary>
internal sealed class SignalingRoom(string id)
{
    private readonly List<PeerInfo> _members = [];

    public string Id { get; } = id;

    public int Count => _members.Count;

    public IReadOnlyList<PeerInfo> Members => _members;

    public bool Contains(string sessionId) => _members.Exists(m => m.Id == sessionId);

    public void Add(PeerInfo member) => _members.Add(member);

    public void Remove(string sessionId) => _members.RemoveAll(m => m.Id == sessionId);
}
