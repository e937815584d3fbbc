using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Signaling.Tests.Infrastructure;

/// <summary>
/// Bob, then Alice, connected raw and joined to room <c>r</c>, with Alice's resume token: how the raw resume tests
/// start. Alice has read Bob's <c>peer-joined</c>.
/// </summary>
public sealed record RawPair(RawClient Alice, string AliceId, string AliceToken, RawClient Bob, string BobId)
{
    public static async Task<RawPair> JoinAsync(SignalingServer aliceServer, SignalingServer bobServer, string encoding = SignalingSubprotocols.Json)
    {
        var bob = await bobServer.ConnectRawAsync(encoding);
        var bobId = (await bob.ExpectAsync("welcome")).GetProperty("session").GetString()!;
        var alice = await aliceServer.ConnectRawAsync(encoding);
        var welcome = await alice.ExpectAsync("welcome");
        var pair = new RawPair(alice, welcome.GetProperty("session").GetString()!, welcome.GetProperty("resumeToken").GetString()!, bob, bobId);
        await alice.SendJsonAsync("""{"type":"join","room":"r"}""");
        await alice.ExpectAsync("joined");
        await bob.SendJsonAsync("""{"type":"join","room":"r"}""");
        await bob.ExpectAsync("joined");
        await alice.ExpectAsync("peer-joined");
        return pair;
    }
}
