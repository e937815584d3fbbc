using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace PeerConnect.Browser.Tests.Infrastructure;

/// <summary>
/// The real PeerConnect server on Kestrel at 127.0.0.1 on a free port, serving the call page, with a test-only hook
/// that cuts a signaling WebSocket from the server side (as a network drop would: no close frame).
/// </summary>
public sealed class CallServer : IAsyncDisposable
{
    private readonly Factory _factory;

    private CallServer(Factory factory, Uri baseUri)
    {
        _factory = factory;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    /// <summary>The page for a room; <paramref name="relay"/> forces ICE through TURN relays.</summary>
    public string RoomUrl(string room, string? name = null, bool relay = false) =>
        new Uri(BaseUri, $"/?room={Uri.EscapeDataString(room)}"
            + (name is null ? "" : $"&name={Uri.EscapeDataString(name)}")
            + (relay ? "&relay=1" : "")).ToString();

    /// <summary><c>ws://…/ws</c> on the WebSocket-only listener, when <c>PeerConnect:Signaling:WebSocketListener</c> is set.</summary>
    public Uri? WebSocketListenerUri =>
        _factory.Services.GetRequiredService<PeerConnect.Server.Signaling.SignalingWebSocketListener>().LocalEndPoint is { } endPoint
            ? new Uri($"ws://{endPoint}/ws")
            : null;

    /// <summary>Signaling WebSockets open right now, oldest first.</summary>
    public int OpenSignalingConnections => _factory.Connections.Count;

    public static CallServer Start(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var merged = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            // Many hosts run at once here; tests that need the STUN/TURN listener turn it on with their own port.
            ["PeerConnect:Turn:Enabled"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }

        var factory = new Factory(merged);
        factory.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new CallServer(factory, new Uri(address));
    }

    /// <summary>
    /// Drops the oldest open signaling connection without a close frame. The server holds that session for resume,
    /// exactly as when a phone changes networks.
    /// </summary>
    public void CutOldestSignalingConnection()
    {
        var oldest = _factory.Connections.OrderBy(pair => pair.Key).First();
        oldest.Value.Abort();
    }

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    private sealed class Factory(Dictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        private long _next;

        public ConcurrentDictionary<long, HttpContext> Connections { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(settings));
            builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new TrackSignalingConnections(this)));
        }

        /// <summary>Runs first in the pipeline and remembers every <c>/ws</c> request while it is open.</summary>
        private sealed class TrackSignalingConnections(Factory factory) : IStartupFilter
        {
            public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
            {
                app.Use(async (context, inner) =>
                {
                    // Runs before the server's UseWebSockets, so the upgrade is recognised by its header.
                    if (context.Request.Path != "/ws" || !context.Request.Headers.Upgrade.ToString().Equals("websocket", StringComparison.OrdinalIgnoreCase))
                    {
                        await inner(context);
                        return;
                    }

                    var id = Interlocked.Increment(ref factory._next);
                    factory.Connections[id] = context;
                    try
                    {
                        await inner(context);
                    }
                    finally
                    {
                        factory.Connections.TryRemove(id, out _);
                    }
                });
                next(app);
            };
        }
    }
}
