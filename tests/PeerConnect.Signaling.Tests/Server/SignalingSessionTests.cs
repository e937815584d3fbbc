using PeerConnect.Server.Signaling;
using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Signaling.Tests.Server;

/// <summary>A session's rooms and held messages, the state an idle connection keeps on the server.</summary>
public sealed class SignalingSessionTests
{
    private static SignalingSession NewSession(string id) => new(id, id, SignalingPrincipal.Anonymous) { ResumeToken = "t-" + id };

    [Fact]
    public void RoomsAddReplaceAndRemoveInAnyOrder()
    {
        var rooms = new SessionRooms();
        for (var i = 0; i < 8; i++)
        {
            rooms.Set($"r{i}", new PeerInfo("a", "a", $"n{i}"));
        }

        rooms.Set("r3", new PeerInfo("a", "a", "renamed"));
        Assert.Equal(8, rooms.Count);
        Assert.True(rooms.TryGet("r3", out var appearance));
        Assert.Equal("renamed", appearance.Name);

        Assert.True(rooms.Remove("r0"));
        Assert.True(rooms.Remove("r7"));
        Assert.True(rooms.Remove("r4"));
        Assert.False(rooms.Remove("r4"));
        Assert.Equal(["r1", "r2", "r3", "r5", "r6"], rooms.ToArray());
        Assert.Equal(["n1", "n2", "renamed", "n5", "n6"], rooms.Appearances.Select(a => a.Value.Name));
        Assert.False(rooms.Contains("r0"));
        Assert.False(rooms.TryGet("r7", out _));

        rooms.Set("r9", new PeerInfo("a", "a"));
        Assert.Equal("r9", rooms.Last());
    }

    [Fact]
    public void RoomIdsCompareOrdinally()
    {
        var rooms = new SessionRooms();
        rooms.Set("Lobby", new PeerInfo("a", "a"));
        Assert.False(rooms.Contains("lobby"));
        Assert.True(rooms.Contains(new string("Lobby".AsSpan())));
    }

    [Fact]
    public void SharesAnyWithNeedsOneCommonRoom()
    {
        var a = new SessionRooms();
        var b = new SessionRooms();
        Assert.False(a.SharesAnyWith(b));
        a.Set("x", new PeerInfo("a", "a"));
        a.Set("y", new PeerInfo("a", "a"));
        b.Set("z", new PeerInfo("b", "b"));
        Assert.False(a.SharesAnyWith(b));
        b.Set("y", new PeerInfo("b", "b"));
        Assert.True(a.SharesAnyWith(b));
        Assert.True(b.SharesAnyWith(a));
        b.Remove("y");
        Assert.False(b.SharesAnyWith(a));
    }

    [Fact]
    public void HeldMessagesAreNumberedAndForgottenWhenAcknowledged()
    {
        var session = NewSession("s");
        Assert.Equal(0, session.UnackedCount);
        Assert.Empty(session.Unacked);
        for (var i = 0; i < 5; i++)
        {
            session.Hold(new PeerLeftMessage("r", "p" + i, PeerLeftReason.Left), null, null, 0);
        }

        session.Acknowledge(3);
        Assert.Equal([4L, 5L], session.Unacked.Select(h => h.Seq));
        Assert.Equal(3, session.Acked);

        // Past the last number: clamped, and the session holds nothing until the next message.
        session.Acknowledge(99);
        Assert.Equal(0, session.UnackedCount);
        Assert.Empty(session.Unacked);
        Assert.Equal(5, session.Acked);

        var next = session.Hold(new PeerLeftMessage("r", "q", PeerLeftReason.Left), null, null, 0);
        Assert.Equal(6, next.Seq);
        Assert.Equal(1, session.UnackedCount);
    }

    [Fact]
    public void RestoredHeldMessagesSetTheAcknowledgedMark()
    {
        var session = NewSession("s");
        var held = new[] { 7L, 8L }.Select(seq => new HeldMessage(new PeerLeftMessage("r", "p", PeerLeftReason.Left), seq, null, null, 0));
        session.Restore(8, held);
        Assert.Equal(6, session.Acked);
        Assert.Equal(2, session.UnackedCount);

        var empty = NewSession("e");
        empty.Restore(4, []);
        Assert.Equal(4, empty.Acked);
        Assert.Equal(0, empty.UnackedCount);
    }

    [Fact]
    public void HeldAfterARestoreComeAfterTheRestoredInOrder()
    {
        var session = NewSession("s");
        session.Restore(8, new[] { 7L, 8L }.Select(seq => new HeldMessage(new PeerLeftMessage("r", "p", PeerLeftReason.Left), seq, null, null, 0)));
        session.Hold(new PeerLeftMessage("r", "q", PeerLeftReason.Left), null, null, 0);
        session.Hold(new PeerLeftMessage("r", "q", PeerLeftReason.Left), null, null, 0);
        Assert.Equal([7L, 8L, 9L, 10L], session.Unacked.Select(h => h.Seq));

        session.Acknowledge(8);
        Assert.Equal([9L, 10L], session.Unacked.Select(h => h.Seq));
        Assert.Equal(2, session.UnackedCount);
        session.Acknowledge(10);
        session.Hold(new PeerLeftMessage("r", "q", PeerLeftReason.Left), null, null, 0);
        Assert.Equal([11L], session.Unacked.Select(h => h.Seq));
    }
}
