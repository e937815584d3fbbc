using System.Net;
using System.Net.Sockets;
using PeerConnect.Stun.Client;
using PeerConnect.Stun.NatBehavior;

namespace PeerConnect.Interop.Tests;

/// <summary>Our STUN client and RFC 5780 probe against coturn 4.6.1 started on loopback.</summary>
public sealed class CoturnStunInteropTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task OurUdpClientGetsItsMappedAddressFromCoturn(string address)
    {
        using CoturnServer coturn = await CoturnServer.StartAsync(IPAddress.Parse(address));
        await using StunClient client = StunClient.CreateUdp(coturn.EndPoint.AddressFamily);
        using var timeout = new CancellationTokenSource(Patience);

        StunBindingResult result = await client.BindingAsync(coturn.EndPoint, timeout.Token);

        Assert.Equal(IPAddress.Parse(address), result.MappedAddress.Address);
        Assert.Equal(client.LocalEndPoint.Port, result.MappedAddress.Port);
        Assert.Contains("Coturn", result.Software, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(coturn.EndPoint, result.ResponseSource);
    }

    [Fact]
    public async Task OurTcpClientGetsItsMappedAddressFromCoturn()
    {
        using CoturnServer coturn = await CoturnServer.StartAsync(IPAddress.Loopback);
        using var timeout = new CancellationTokenSource(Patience);
        await using StunStreamClient client = await StunStreamClient.ConnectAsync(coturn.EndPoint, cancellationToken: timeout.Token);

        StunBindingResult result = await client.BindingAsync(timeout.Token);

        Assert.Equal(client.LocalEndPoint, result.MappedAddress);
    }

    [Fact]
    public async Task OurRfc5780ProbeCompletesAgainstCoturn()
    {
        // coturn serves RFC 5780 when it listens on two addresses and no-rfc5780 is absent.
        using CoturnServer coturn = await CoturnServer.StartAsync(IPAddress.Loopback, IPAddress.Parse("127.0.0.2"));
        await using StunClient client = StunClient.CreateUdp(AddressFamily.InterNetwork);
        using var timeout = new CancellationTokenSource(Patience);

        NatBehaviorResult result = await NatBehaviorDiscovery.RunAsync(client, coturn.EndPoint, cancellationToken: timeout.Token);

        // Loopback has no NAT and no filter: what RFC 5780 must conclude on this path.
        Assert.Equal(NatMappingBehavior.NoNat, result.Mapping);
        Assert.Equal(NatFilteringBehavior.EndpointIndependent, result.Filtering);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.2"), coturn.EndPoint.Port + 1), result.OtherAddress);
    }
}
