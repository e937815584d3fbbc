using System.Collections;
using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Server.Signaling;

/// <summary>
/// The rooms a session is in, with how it appears in each; enumerates the room ids. A session is in a few rooms at
/// most (<see cref="SignalingOptions.MaxRoomsPerSession"/>), so a short array searched in order answers as fast as a
/// dictionary and takes a third of its memory, which counts with ten thousand idle sessions.
/// </summary>
internal sealed class SessionRooms : IReadOnlyCollection<string>
{
    private KeyValuePair<string, PeerInfo>[] _rooms = [];

    public int Count { get; private set; }

    /// <summary>Each room id with the session's appearance in it.</summary>
    public IEnumerable<KeyValuePair<string, PeerInfo>> Appearances => _rooms.Take(Count);

    public bool Contains(string room) => IndexOf(room) >= 0;

    public bool TryGet(string room, out PeerInfo appearance)
    {
        var index = IndexOf(room);
        appearance = index >= 0 ? _rooms[index].Value : null!;
        return index >= 0;
    }

    /// <summary>Adds the room, or replaces the appearance in it.</summary>
    public void Set(string room, PeerInfo appearance)
    {
        var index = IndexOf(room);
        if (index < 0)
        {
            if (Count == _rooms.Length)
            {
                Array.Resize(ref _rooms, Math.Max(1, Count * 2));
            }

            index = Count++;
        }

        _rooms[index] = new(room, appearance);
    }

    public bool Remove(string room)
    {
        var index = IndexOf(room);
        if (index < 0)
        {
            return false;
        }

        Array.Copy(_rooms, index + 1, _rooms, index, Count - index - 1);
        _rooms[--Count] = default;
        return true;
    }

    /// <summary>Whether the two sessions share a room.</summary>
    public bool SharesAnyWith(SessionRooms other)
    {
        for (var i = 0; i < Count; i++)
        {
            if (other.Contains(_rooms[i].Key))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The room ids, enumerated without an allocation: the Redis route walks them for every relayed signal.</summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<string> IEnumerable<string>.GetEnumerator()
    {
        foreach (var room in this)
        {
            yield return room;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<string>)this).GetEnumerator();

    /// <summary>Walks the room ids in order.</summary>
    public struct Enumerator(SessionRooms rooms)
    {
        private int _index = -1;

        public readonly string Current => rooms._rooms[_index].Key;

        public bool MoveNext() => ++_index < rooms.Count;
    }

    private int IndexOf(string room)
    {
        for (var i = 0; i < Count; i++)
        {
            if (string.Equals(_rooms[i].Key, room, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
