using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using PeerConnect.Stun.Client;
using PeerConnect.Stun.NatBehavior;
using PeerConnect.Stun.Server;
using PeerConnect.Stun.Tests.Fakes;

namespace PeerConnect.Stun.Tests;

/// <summary>RFC 5780: the server's CHANGE-REQUEST/RESPONSE-PORT/OTHER-ADDRESS on real sockets, and the client's classification.</summary>
public sealed class NatBehaviorTests
{
    private static readonly IPAddress Alternate = IPAddress.Parse("127.0.0.2");

    private static StunServerOptions Rfc5780Options => ServerFixture.Loopback(IPAddress.Loopback) with { AlternateAddress = Alternate };

    [Fact]
    public async Task Rfc5780ServerListensOnBothAddressesAndPortsAndAdvertisesOtherAddress()
    {
        await using var server = await ServerFixture.StartAsync(Rfc5780Options);
        await using var client = new StunClient(Transport.UdpDatagramTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)), ownsTransport: true);
        var primary = server.UdpEndPoints.Single();

        var result = await client.BindingAsync(primary).WaitAsync(ServerFixture.Patience);

        Assert.Equal(new IPEndPoint(Alternate, primary.Port + 1), result.OtherAddress);
        Assert.Equal(server.OtherAddresses.Single(), result.OtherAddress);
        Assert.Equal(primary, result.ResponseOrigin);
        Assert.Equal(primary, result.ResponseSource);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task ChangeRequestIsAnsweredFromTheOtherAddressOrPort(bool changeIp, bool changePort)
    {
        await using var server = await ServerFixture.StartAsync(Rfc5780Options);
        await using var client = new StunClient(Transport.UdpDatagramTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)), ownsTransport: true);
        var primary = server.UdpEndPoints.Single();
        var expected = new IPEndPoint(changeIp ? Alternate : IPAddress.Loopback, primary.Port + (changePort ? 1 : 0));

        var result = await client.BindingAsync(primary, new BindingRequestOptions { ChangeIp = changeIp, ChangePort = changePort }).WaitAsync(ServerFixture.Patience);

        Assert.Equal(expected, result.ResponseSource);
        Assert.Equal(expected, result.ResponseOrigin);
        Assert.Equal(client.LocalEndPoint, result.MappedAddress);
    }

    [Fact]
    public async Task OtherAddressIsRelativeToTheSocketThatReceived()
    {
        await using var server = await ServerFixture.StartAsync(Rfc5780Options);
        await using var client = new StunClient(Transport.UdpDatagramTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)), ownsTransport: true);
        var primary = server.UdpEndPoints.Single();

        var result = await client.BindingAsync(server.OtherAddresses.Single()).WaitAsync(ServerFixture.Patience);

        Assert.Equal(primary, result.OtherAddress);
        Assert.Equal(server.OtherAddresses.Single(), result.ResponseOrigin);
    }

    [Fact]
    public async Task ResponsePortSendsTheAnswerToThatPort()
    {
        await using var server = await ServerFixture.StartAsync(Rfc5780Options);
        using var sender = ServerFixture.UdpSocket(IPAddress.Loopback);
        using var receiver = ServerFixture.UdpSocket(IPAddress.Loopback);
        var id = TransactionId.NewRandom();
        var buffer = new byte[128];
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingRequest, id);
        writer.WriteResponsePort(((IPEndPoint)receiver.LocalEndPoint!).Port);
        writer.WriteFingerprint();
        var request = buffer.AsMemory(0, writer.Length);

        using var timeout = new CancellationTokenSource(ServerFixture.Patience);
        var receive = receiver.ReceiveFromAsync(new byte[1024], SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), timeout.Token).AsTask();
        while (!receive.IsCompleted)
        {
            // Resent until answered: loopback may drop under load.
            await sender.SendToAsync(request, SocketFlags.None, server.UdpEndPoints.Single(), timeout.Token);
            await Task.WhenAny(receive, Task.Delay(500, timeout.Token));
        }

        Assert.True((await receive).ReceivedBytes > 0);
    }

    [Fact]
    public async Task DiscoveryOnLoopbackFindsNoNatAndOpenFiltering()
    {
        await using var server = await ServerFixture.StartAsync(Rfc5780Options);
        await using var client = StunClient.CreateUdp(AddressFamily.InterNetwork);

        var result = await NatBehaviorDiscovery.RunAsync(client, server.UdpEndPoints.Single()).WaitAsync(ServerFixture.Patience);

        Assert.Equal(NatMappingBehavior.NoNat, result.Mapping);
        Assert.False(result.BehindNat);
        Assert.Equal(NatFilteringBehavior.EndpointIndependent, result.Filtering);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, client.LocalEndPoint.Port), result.MappedAddress);
    }

    [Fact]
    public async Task DiscoveryAgainstAServerWithoutAlternateIsNotSupported()
    {
        await using var server = await ServerFixture.StartAsync(ServerFixture.Loopback(IPAddress.Loopback));
        await using var client = StunClient.CreateUdp(AddressFamily.InterNetwork);

        await Assert.ThrowsAsync<NatBehaviorNotSupportedException>(
            () => NatBehaviorDiscovery.RunAsync(client, server.UdpEndPoints.Single()).WaitAsync(ServerFixture.Patience));
    }

    [Theory]
    [InlineData(NatMappingBehavior.EndpointIndependent, NatFilteringBehavior.EndpointIndependent)]
    [InlineData(NatMappingBehavior.EndpointIndependent, NatFilteringBehavior.AddressDependent)]
    [InlineData(NatMappingBehavior.EndpointIndependent, NatFilteringBehavior.AddressAndPortDependent)]
    [InlineData(NatMappingBehavior.AddressDependent, NatFilteringBehavior.AddressDependent)]
    [InlineData(NatMappingBehavior.AddressAndPortDependent, NatFilteringBehavior.AddressAndPortDependent)]
    [InlineData(NatMappingBehavior.AddressAndPortDependent, NatFilteringBehavior.EndpointIndependent)]
    [InlineData(NatMappingBehavior.NoNat, NatFilteringBehavior.EndpointIndependent)]
    [InlineData(NatMappingBehavior.NoNat, NatFilteringBehavior.AddressAndPortDependent)]
    public async Task DiscoveryClassifiesTheNat(NatMappingBehavior mapping, NatFilteringBehavior filtering)
    {
        var time = new FakeTimeProvider();
        var transport = new FakeDatagramTransport(time, new IPEndPoint(IPAddress.Parse("10.0.0.2"), 5000));
        _ = new ScriptedNat(transport, mapping, filtering);
        await using var client = new StunClient(transport, timeProvider: time);

        var result = await DriveClockAsync(NatBehaviorDiscovery.RunAsync(client, ScriptedNat.Primary, timeProvider: time), time, transport);

        Assert.Equal(mapping, result.Mapping);
        Assert.Equal(filtering, result.Filtering);
    }

    /// <summary>Moves the fake clock on only while no answer is in flight, so only unanswered tests time out.</summary>
    private static async Task<T> DriveClockAsync<T>(Task<T> task, FakeTimeProvider time, FakeDatagramTransport transport)
    {
        using var patience = new CancellationTokenSource(ServerFixture.Patience);
        while (!task.IsCompleted)
        {
            await Task.Delay(1, patience.Token);
            if (transport.AllDelivered)
            {
                time.Advance(TimeSpan.FromMilliseconds(100));
            }
        }
        return await task;
    }
}
