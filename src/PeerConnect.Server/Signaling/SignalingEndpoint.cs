using System.Globalization;
using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using PeerConnect.Signaling.Codec;
using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Server.Signaling;

/// <summary>
/// <c>GET /ws</c>: checks origin and subprotocol, upgrades, authenticates, enforces the connection limit, then runs
/// the connection with the hub. Query: <c>access_token</c>, and to resume <c>resume</c> plus <c>lastSeq</c>.
/// </summary>
internal sealed class SignalingEndpoint(
    SignalingHub hub,
    SignalingHeartbeat heartbeat,
    SignalingAuthenticator authenticator,
    IceServerProvider iceServers,
    IOptions<SignalingOptions> options,
    SignalingMetrics metrics,
    ILogger<SignalingEndpoint> logger,
    TimeProvider timeProvider)
{
    private static readonly TimeSpan RefusalCloseTimeout = TimeSpan.FromSeconds(2);
    private readonly SignalingOptions _options = options.Value;
    private int _open;

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("Expected a WebSocket upgrade.", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && _options.AllowedOrigins.Count > 0
            && !_options.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase))
        {
            SignalingLog.OriginRefused(logger, origin);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        var requested = context.WebSockets.WebSocketRequestedProtocols;
        string? subprotocol = null;
        if (requested.Count > 0)
        {
            subprotocol = requested.FirstOrDefault(p => p is SignalingSubprotocols.Json or SignalingSubprotocols.Cbor);
            if (subprotocol is null)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsync($"Supported subprotocols: {SignalingSubprotocols.Json}, {SignalingSubprotocols.Cbor}.", context.RequestAborted).ConfigureAwait(false);
                return;
            }
        }

        var codec = SignalingCodec.ForSubprotocol(subprotocol)!;
        var principal = await authenticator.AuthenticateAsync(context.Request).ConfigureAwait(false);
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = subprotocol,
            KeepAliveInterval = TimeSpan.Zero,
        }).ConfigureAwait(false);

        if (principal is null)
        {
            SignalingLog.ConnectionRefused(logger, "missing or invalid token");
            await RefuseAsync(socket, codec, SignalingErrorCode.Unauthorized, "A valid token is required.", SignalingCloseCodes.Unauthorized).ConfigureAwait(false);
            return;
        }

        if (Interlocked.Increment(ref _open) > _options.MaxConnections)
        {
            Interlocked.Decrement(ref _open);
            SignalingLog.ConnectionRefused(logger, "connection limit reached");
            await RefuseAsync(socket, codec, SignalingErrorCode.LimitExceeded, "The server has its maximum number of connections.", SignalingCloseCodes.TryAgainLater).ConfigureAwait(false);
            return;
        }

        metrics.Connections.Add(1);
        try
        {
            var connection = new SignalingConnection(socket, codec, _options, hub, heartbeat, metrics, logger, timeProvider);
            var query = context.Request.Query;
            var resumeToken = query["resume"].ToString();
            long.TryParse(query["lastSeq"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var lastSeq);
            var host = context.Request.Host;
            hub.Post(new AttachCommand(
                connection,
                principal,
                userId => iceServers.For(userId, host),
                resumeToken.Length > 0 ? resumeToken : null,
                lastSeq));
            await connection.RunAsync(context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
            metrics.Connections.Add(-1);
        }
    }

    /// <summary>Tells a browser why it is turned away (it cannot read an HTTP status on a failed upgrade), then closes.</summary>
    private async Task RefuseAsync(WebSocket socket, SignalingCodec codec, SignalingErrorCode code, string text, int closeStatus)
    {
        metrics.Errors.Add(1, new KeyValuePair<string, object?>("code", code.ToString()));
        using var timeout = new CancellationTokenSource(RefusalCloseTimeout, timeProvider);
        try
        {
            var error = new ErrorMessage(code, text) { Seq = 0 };
            await socket.SendAsync(codec.Encode(error), codec.FrameType, true, timeout.Token).ConfigureAwait(false);
            await socket.CloseAsync((WebSocketCloseStatus)closeStatus, text, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
        {
            SignalingLog.ConnectionFailed(logger, e);
        }
    }
}
