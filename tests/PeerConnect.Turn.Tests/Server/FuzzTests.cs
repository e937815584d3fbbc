using PeerConnect.Stun;
using PeerConnect.Turn.Server;

namespace PeerConnect.Turn.Tests.Server;

/// <summary>Random and mutated packets into the core: nothing throws, the server keeps serving.</summary>
public sealed class FuzzTests
{
    [Fact]
    public async Task RandomAndMutatedPacketsNeverThrow()
    {
        await using var h = new TurnServerHarness();
        Assert.True(h.Allocate().IsSuccess);
        Assert.True(h.ChannelBind(0x4001, TurnServerHarness.Peer).IsSuccess);
        var seeds = new List<byte[]>
        {
            h.BuildSigned(StunMethod.Allocate, static (ref StunMessageWriter w) => w.WriteRequestedTransport(TurnTransport.Udp)),
            h.BuildSigned(StunMethod.Refresh, static (ref StunMessageWriter w) => w.WriteUInt32(StunAttributeType.Lifetime, 600)),
            h.BuildSigned(StunMethod.CreatePermission, static (ref StunMessageWriter w) => w.WriteXorAddress(StunAttributeType.XorPeerAddress, TurnServerHarness.Peer.ToEndPoint())),
            h.BuildSigned(StunMethod.ChannelBind, static (ref StunMessageWriter w) =>
            {
                w.WriteChannelNumber(0x4002);
                w.WriteXorAddress(StunAttributeType.XorPeerAddress, TurnServerHarness.Peer.ToEndPoint());
            }),
            TurnServerHarness.SendIndication(TurnServerHarness.Peer, [1, 2, 3, 4, 5]),
            TurnServerHarness.ChannelData(0x4001, [1, 2, 3, 4, 5, 6, 7]),
        };
        var random = new Random(8656);
        var response = new byte[4096];
        for (int i = 0; i < 60_000; i++)
        {
            byte[] packet;
            if (i % 4 == 0)
            {
                packet = new byte[random.Next(0, 200)];
                random.NextBytes(packet);
            }
            else
            {
                packet = (byte[])seeds[random.Next(seeds.Count)].Clone();
                int flips = random.Next(1, 6);
                for (int f = 0; f < flips && packet.Length > 0; f++)
                {
                    packet[random.Next(packet.Length)] = (byte)random.Next(256);
                }
                if (random.Next(8) == 0)
                {
                    packet = packet[..random.Next(packet.Length)];
                }
            }
            int length = h.Server.Process(h.Link, TurnServerHarness.ClientAddress, packet, response);
            Assert.InRange(length, 0, response.Length);
            if (length > 0)
            {
                Assert.True(StunMessageReader.TryParse(response.AsSpan(0, length), out _, out _));
            }
        }

        // Still serving: the allocation answers a fresh Refresh.
        Assert.True(h.Refresh(600).IsSuccess);
    }
}
