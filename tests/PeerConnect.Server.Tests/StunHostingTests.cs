using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PeerConnect.Server.Stun;
using PeerConnect.Stun.Client;
using PeerConnect.Stun.Server;

namespace PeerConnect.Server.Tests;

/// <summary>The STUN/TURN listener inside the PeerConnect host: configuration keys and real Binding exchanges.</summary>
public sealed class StunHostingTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public void EnvironmentVariableKeysReachTheOptions()
    {
        var options = BuildOptions([]);

        Assert.Equal(0, options.Port);
        Assert.Equal(["127.0.0.1", "::1"], options.ListenAddresses ?? []);
        Assert.Equal(TestEnvironment.Software, options.Software);
    }

    [Fact]
    public void CommandLineKeysReachTheOptions()
    {
        var options = BuildOptions([
            "--PeerConnect:Turn:Port=4000",
            "--PeerConnect:Turn:TlsPort=4001",
            "--PeerConnect:Turn:AlternateAddress=127.0.0.2",
            "--PeerConnect:Turn:ReceiveLoops=3",
            "--PeerConnect:Turn:Software=from the command line",
            "--PeerConnect:Turn:Enabled=false",
        ]);

        Assert.Equal(4000, options.Port);
        Assert.Equal(4001, options.TlsPort);
        Assert.Equal("127.0.0.2", options.AlternateAddress);
        Assert.Equal(3, options.ReceiveLoops);
        Assert.Equal("from the command line", options.Software);
        Assert.False(options.Enabled);
    }

    [Fact]
    public void DefaultsMatchTheDocumentation()
    {
        var options = new TurnListenerOptions();
        var mapped = StunServerOptionsMapper.ToServerOptions(options, certificate: null);

        Assert.Equal(3478, mapped.Port);
        Assert.Equal(5349, mapped.TlsPort);
        Assert.Equal([IPAddress.Any, IPAddress.IPv6Any], mapped.ListenAddresses);
        Assert.Equal(Environment.ProcessorCount, mapped.ReceiveLoops);
        Assert.True(options.Enabled);
    }

    [Theory]
    [InlineData("--PeerConnect:Turn:ListenAddresses:0=not-an-address", "ListenAddresses")]
    [InlineData("--PeerConnect:Turn:Port=70000", "Port")]
    [InlineData("--PeerConnect:Turn:AlternateAddress=0.0.0.0", "AlternateAddress")]
    [InlineData("--PeerConnect:Turn:CertificatePath=/nonexistent/cert.pfx", "CertificatePath")]
    public void InvalidSettingsStopTheHostAtStart(string argument, string key)
    {
        var builder = WebApplication.CreateBuilder([argument, "--PeerConnect:Turn:ListenAddresses:1=::1"]);
        builder.Services.AddPeerConnectStun(builder.Configuration);
        using var app = builder.Build();

        var error = Assert.Throws<OptionsValidationException>(() => _ = app.Services.GetRequiredService<IOptions<TurnListenerOptions>>().Value);

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task HostedServerAnswersBindingOverUdp(string address)
    {
        var server = HostedServer();
        var ip = IPAddress.Parse(address);
        await using var client = StunClient.CreateUdp(ip.AddressFamily);

        var result = await client.BindingAsync(server.UdpEndPoints.Single(e => e.Address.Equals(ip))).WaitAsync(Patience);

        Assert.Equal(new IPEndPoint(ip, client.LocalEndPoint.Port), result.MappedAddress);
        Assert.Equal(TestEnvironment.Software, result.Software);
    }

    [Fact]
    public async Task HostedServerAnswersBindingOverTcp()
    {
        var server = HostedServer();
        await using var client = await StunStreamClient.ConnectAsync(server.TcpEndPoints.Single(e => e.AddressFamily == AddressFamily.InterNetwork));

        var result = await client.BindingAsync().WaitAsync(Patience);

        Assert.Equal(client.LocalEndPoint, result.MappedAddress);
    }

    private StunServer HostedServer()
    {
        // Creating the client starts the host, and with it the listener.
        using var http = factory.CreateClient();
        return factory.Services.GetRequiredService<StunListenerService>().Server
            ?? throw new InvalidOperationException("The STUN listener did not start.");
    }

    private static TurnListenerOptions BuildOptions(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddPeerConnectStun(builder.Configuration);
        using var app = builder.Build();
        return app.Services.GetRequiredService<IOptions<TurnListenerOptions>>().Value;
    }
}
