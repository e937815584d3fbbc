using System.Net;
using Microsoft.Extensions.Time.Testing;
using PeerConnect.Stun.Transport;
using PeerConnect.Turn.Client;

namespace PeerConnect.Turn.Tests.Client;

/// <summary>
/// Once a peer has its permission (and channel), relaying a datagram allocates nothing. Everything here completes
/// synchronously on the test thread, so the thread's allocation counter sees the client's work and nothing else.
/// </summary>
public sealed class RelayHotPathAllocationTests
{
    private const int Packets = 2000;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SendingAllocatesNothingPerPacket(bool useChannels)
    {
        await using var fixture = await ReadyFixture.StartAsync(useChannels);
        var payload = new byte[1200];

        long allocated = MeasureAllocations(() =>
        {
            ValueTask send = fixture.Client.Relay.SendAsync(payload, TurnClientTests.PeerA);
            Assert.True(send.IsCompletedSuccessfully);
            send.GetAwaiter().GetResult();
        });

        Assert.Equal(0, allocated);
        Assert.Equal(Packets + 100, fixture.Server.UnrecordedData);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ReceivingAllocatesNothingPerPacket(bool channelData)
    {
        await using var fixture = await ReadyFixture.StartAsync(useChannels: true);
        byte[] message = channelData
            ? TurnClientTests.ChannelData(fixture.Channel, new string('x', 120))
            : TurnClientTests.DataIndication(TurnClientTests.PeerA, new string('x', 120));
        var buffer = new byte[2048];
        int received = 0;

        long allocated = MeasureAllocations(() =>
        {
            fixture.Client.Dispatch(message, FakeTurnServer.ServerEndPoint);
            ValueTask<DatagramReceiveResult> receive = fixture.Client.Relay.ReceiveAsync(buffer);
            // xUnit's Assert.Equal allocates a comparer; plain checks keep the measurement clean.
            Assert.True(receive.IsCompletedSuccessfully && receive.Result.Count == 120 && receive.Result.RemoteEndPoint == TurnClientTests.PeerA);
            received++;
        });

        Assert.Equal(0, allocated);
        Assert.Equal(Packets + 100, received);
    }

    private static long MeasureAllocations(Action relayOnePacket)
    {
        for (int i = 0; i < 100; i++)
        {
            relayOnePacket();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Packets; i++)
        {
            relayOnePacket();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private sealed class ReadyFixture : IAsyncDisposable
    {
        private ReadyFixture(FakeTurnServer server, TurnClient client, ushort channel)
        {
            Server = server;
            Client = client;
            Channel = channel;
        }

        public FakeTurnServer Server { get; }

        public TurnClient Client { get; }

        public ushort Channel { get; }

        public static async Task<ReadyFixture> StartAsync(bool useChannels)
        {
            var time = new FakeTimeProvider();
            var server = new FakeTurnServer(time);
            var client = new TurnClient(TurnClientTests.Options(time) with { UseChannels = useChannels }, server, reliable: false);
            await client.AllocateAsync().WaitAsync(TurnClientTests.Patience);
            await client.CreatePermissionAsync([TurnClientTests.PeerA]).WaitAsync(TurnClientTests.Patience);
            ushort channel = useChannels ? await client.BindChannelAsync(TurnClientTests.PeerA).WaitAsync(TurnClientTests.Patience) : (ushort)0;
            server.RecordData = false;
            return new ReadyFixture(server, client, channel);
        }

        public ValueTask DisposeAsync() => Client.DisposeAsync();
    }
}
