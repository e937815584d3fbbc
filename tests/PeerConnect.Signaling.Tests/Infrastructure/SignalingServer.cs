using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PeerConnect.Server.Signaling;
using PeerConnect.Signaling.Client;
using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Signaling.Tests.Infrastructure;

/// <summary>The real server on Kestrel at 127.0.0.1 on a free port, with test settings layered over the defaults.</summary>
public sealed class SignalingServer : IAsyncDisposable
{
    private readonly Factory _factory;

    private SignalingServer(Factory factory, Uri httpBase, Uri wsUri)
    {
        _factory = factory;
        HttpBase = httpBase;
        WsUri = wsUri;
    }

    public Uri HttpBase { get; }

    public Uri WsUri { get; }

    /// <summary>Fast heartbeats so idle and resume tests finish quickly; callers override what they test.</summary>
    public static Dictionary<string, string?> DefaultSettings() => new()
    {
        ["PeerConnect:Signaling:HeartbeatInterval"] = "00:00:01",
        ["PeerConnect:Signaling:IdleTimeout"] = "00:00:10",
        ["PeerConnect:Signaling:ResumeWindow"] = "00:00:20",
        ["Logging:LogLevel:Default"] = "Warning",
        // Many hosts run at once here; the STUN/TURN listener has its own tests and would contend for port 3478.
        ["PeerConnect:Turn:Enabled"] = "false",
    };

    /// <summary>Starts the server; <see cref="WsUri"/> is Kestrel's <c>/ws</c>.</summary>
    public static SignalingServer Start(IReadOnlyDictionary<string, string?>? settings = null) => Start(settings, viaWebSocketListener: false);

    /// <summary>
    /// Starts the server with <c>PeerConnect:Signaling:WebSocketListener</c> on a free loopback port, and points
    /// <see cref="WsUri"/> at it instead of Kestrel (HTTP APIs stay on <see cref="HttpBase"/>).
    /// </summary>
    public static SignalingServer Start(IReadOnlyDictionary<string, string?>? settings, bool viaWebSocketListener)
    {
        var merged = DefaultSettings();
        if (viaWebSocketListener)
        {
            merged["PeerConnect:Signaling:WebSocketListener"] = "127.0.0.1:0";
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }

        var factory = new Factory(merged);
        factory.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        var address = new Uri(factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var listener = factory.Services.GetRequiredService<SignalingWebSocketListener>().LocalEndPoint;
        var wsUri = viaWebSocketListener ? new Uri($"ws://{listener}/ws") : new Uri($"ws://{address.Authority}/ws");
        return new SignalingServer(factory, address, wsUri);
    }

    public SignalingClient CreateClient(string subprotocol = SignalingSubprotocols.Json, Func<SignalingClientOptions, SignalingClientOptions>? configure = null)
    {
        var options = new SignalingClientOptions { ServerUri = WsUri, Subprotocol = subprotocol };
        return new SignalingClient(configure is null ? options : configure(options));
    }

    public async Task<SignalingClient> ConnectAsync(string subprotocol = SignalingSubprotocols.Json, Func<SignalingClientOptions, SignalingClientOptions>? configure = null)
    {
        var client = CreateClient(subprotocol, configure);
        await client.ConnectAsync().WaitAsync(Timeouts.Generous);
        return client;
    }

    public Task<RawClient> ConnectRawAsync(string? subprotocol = SignalingSubprotocols.Json, string query = "", Action<System.Net.WebSockets.ClientWebSocketOptions>? configure = null) =>
        RawClient.ConnectAsync(new Uri(WsUri + query), subprotocol, configure);

    public HttpClient CreateHttpClient() => new() { BaseAddress = HttpBase };

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    private sealed class Factory(Dictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder) =>
            builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(settings));
    }
}
