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
    private readonly SignalingConnectionServices _connections = new(options.Value, hub, heartbeat, metrics, logger, timeProvider);

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("Expected a WebSocket upgrade.", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var query = context.Request.Query;
        var request = new SignalingRequest(
            context.Request.Headers.Origin.ToString(),
            [.. context.WebSockets.WebSocketRequestedProtocols],
            SignalingAuthenticator.TokenFrom(context.Request.Headers.Authorization.ToString(), query["access_token"].ToString()),
            query["resume"].ToString(),
            query["lastSeq"].ToString(),
            context.Request.Host);
        if (Check(request, out var subprotocol) is { } refusal)
        {
            context.Response.StatusCode = refusal.Status;
            if (refusal.Text is not null)
            {
                await context.Response.WriteAsync(refusal.Text, context.RequestAborted).ConfigureAwait(false);
            }

            return;
        }

        var principal = await authenticator.AuthenticateAsync(request.Token).ConfigureAwait(false);
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = subprotocol,
            KeepAliveInterval = TimeSpan.Zero,
        }).ConfigureAwait(false);
        await RunAsync(socket, subprotocol, principal, request, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// What is refused before the upgrade, as an HTTP status and text: a disallowed origin, or no subprotocol this
    /// server speaks. Null when the request may upgrade, with the subprotocol to answer.
    /// </summary>
    public (int Status, string? Text)? Check(SignalingRequest request, out string? subprotocol)
    {
        subprotocol = null;
        if (request.Origin.Length > 0 && _options.AllowedOrigins.Count > 0
            && !_options.AllowedOrigins.Contains(request.Origin, StringComparer.OrdinalIgnoreCase))
        {
            SignalingLog.OriginRefused(logger, request.Origin);
            return (StatusCodes.Status403Forbidden, null);
        }

        if (request.Subprotocols.Count > 0)
        {
            // The constant rather than the request's copy: the WebSocket keeps it for the connection's lifetime.
            subprotocol = request.Subprotocols.FirstOrDefault(p => p is SignalingSubprotocols.Json or SignalingSubprotocols.Cbor) switch
            {
                SignalingSubprotocols.Json => SignalingSubprotocols.Json,
                SignalingSubprotocols.Cbor => SignalingSubprotocols.Cbor,
                _ => null,
            };
            if (subprotocol is null)
            {
                return (StatusCodes.Status400BadRequest, $"Supported subprotocols: {SignalingSubprotocols.Json}, {SignalingSubprotocols.Cbor}.");
            }
        }

        return null;
    }

    /// <summary>
    /// Runs an upgraded connection: refuses it over the WebSocket when the token failed or the server is full
    /// (a browser cannot read an HTTP status on a failed upgrade), else attaches it to the hub until it ends. The
    /// connection owns <paramref name="socket"/> from here and disposes it when it ends.
    /// </summary>
    public Task RunAsync(WebSocket socket, string? subprotocol, SignalingPrincipal? principal, SignalingRequest request, CancellationToken aborted)
    {
        var codec = SignalingCodec.ForSubprotocol(subprotocol)!;
        if (principal is null)
        {
            SignalingLog.ConnectionRefused(logger, "missing or invalid token");
            return RefuseAsync(socket, codec, SignalingErrorCode.Unauthorized, "A valid token is required.", SignalingCloseCodes.Unauthorized);
        }

        if (!_connections.TryOpen())
        {
            SignalingLog.ConnectionRefused(logger, "connection limit reached");
            return RefuseAsync(socket, codec, SignalingErrorCode.LimitExceeded, "The server has its maximum number of connections.", SignalingCloseCodes.TryAgainLater);
        }

        var connection = new SignalingConnection(socket, codec, _connections);
        long.TryParse(request.LastSeq, NumberStyles.None, CultureInfo.InvariantCulture, out var lastSeq);
        var host = request.Host;
        hub.Post(new AttachCommand(
            connection,
            principal,
            userId => iceServers.For(userId, host),
            string.IsNullOrEmpty(request.ResumeToken) ? null : request.ResumeToken,
            lastSeq));

        // The connection's task, which ends with disposing the WebSocket (and with it the listener's socket); the
        // request (and its token) is not kept alive for the connection's lifetime.
        return connection.RunAsync(aborted);
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
        finally
        {
            socket.Dispose();
        }
    }
}

/// <summary>What the signaling endpoint reads from a WebSocket upgrade request, whichever listener received it.</summary>
/// <param name="Origin">The <c>Origin</c> header, empty when absent.</param>
/// <param name="Subprotocols">The offered <c>Sec-WebSocket-Protocol</c> values.</param>
/// <param name="Token">The bearer token from the <c>Authorization</c> header or the <c>access_token</c> parameter.</param>
/// <param name="ResumeToken">The <c>resume</c> parameter, empty when absent.</param>
/// <param name="LastSeq">The <c>lastSeq</c> parameter as sent.</param>
/// <param name="Host">The <c>Host</c> header, for the default STUN server's address.</param>
internal sealed record SignalingRequest(string Origin, IReadOnlyList<string> Subprotocols, string? Token, string? ResumeToken, string? LastSeq, HostString Host);
