using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace PeerConnect.Server.Signaling;

/// <summary>
/// The optional WebSocket-only listener (<see cref="SignalingOptions.WebSocketListener"/>): serves <c>/ws</c> from
/// its own socket, doing the opening handshake itself (RFC 6455 section 4.2) and handing the connection to the same
/// <see cref="SignalingEndpoint"/> as Kestrel's <c>/ws</c>, framed by <see cref="ListenerWebSocket"/>. An idle connection then holds a socket, a WebSocket and
/// the session, without the HTTP request, pipes and features Kestrel keeps for an upgraded request. Plain
/// <c>ws:</c> only; terminate TLS in front of it.
/// </summary>
internal sealed class SignalingWebSocketListener(
    SignalingEndpoint endpoint,
    SignalingAuthenticator authenticator,
    IOptions<SignalingOptions> options,
    SignalingMetrics metrics,
    ILogger<SignalingWebSocketListener> logger,
    TimeProvider timeProvider) : IHostedService, IDisposable
{
    /// <summary>Largest request head read; a JWT in the query string fits many times over.</summary>
    internal const int MaxRequestHeadBytes = 16 * 1024;

    /// <summary>
    /// What a handshake is read into first; a longer head moves to a buffer of <see cref="MaxRequestHeadBytes"/>.
    /// Browsers' heads fit, so a burst of handshakes (every client of a restarted server coming back at once) rents,
    /// and leaves in the array pool afterwards, 2 KiB per handshake in flight rather than 16.
    /// </summary>
    internal const int FirstRequestHeadBytes = 2 * 1024;

    private readonly SignalingOptions _options = options.Value;
    private Socket? _listener;
    private ListenerReadiness? _readiness;
    private Task? _acceptLoop;
    private int _handshaking;

    /// <summary>Where the listener is bound; null when it is off.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.WebSocketListener is not { } address)
        {
            return Task.CompletedTask;
        }

        var endPoint = IPEndPoint.Parse(address);
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(endPoint);
            listener.Listen(512);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        _readiness = ListenerReadiness.TryStart(logger);
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        SignalingLog.WebSocketListening(logger, LocalEndPoint);
        _acceptLoop = AcceptLoopAsync(listener);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _listener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _listener?.Dispose();
        _readiness?.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of file descriptors and the like: keep serving the connections already open.
                SignalingLog.AcceptFailed(logger, e);
                await Task.Delay(TimeSpan.FromMilliseconds(100), timeProvider).ConfigureAwait(false);
                continue;
            }

            _ = ServeAsync(_readiness?.Add(socket) ?? new ListenerSocket(socket));
        }
    }

    private async Task ServeAsync(ListenerSocket socket)
    {
        // The handshake deadline closes the socket (which fails a pending wait) rather than cancelling a token: a token
        // would stay registered for the connection's lifetime.
        var started = timeProvider.GetTimestamp();
        var deadline = timeProvider.CreateTimer(static s => ((ListenerSocket)s!).Close(), socket, _options.HandshakeTimeout, Timeout.InfiniteTimeSpan);
        var upgraded = false;
        try
        {
            socket.Prepare();
            upgraded = await UpgradeAsync(socket, deadline).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Refused(timeProvider.GetElapsedTime(started) >= _options.HandshakeTimeout ? "timeout" : "closed");
        }
        catch (Exception e)
        {
            SignalingLog.ConnectionCrashed(logger, e);
        }
        finally
        {
            deadline.Dispose();
            if (!upgraded)
            {
                socket.Close();
            }
        }
    }

    /// <summary>
    /// Reads and answers the opening handshake; true when the connection now runs (and owns the socket), false when
    /// it was refused.
    /// </summary>
    private async Task<bool> UpgradeAsync(ListenerSocket socket, ITimer deadline)
    {
        if (Interlocked.Increment(ref _handshaking) > _options.MaxConnections)
        {
            Interlocked.Decrement(ref _handshaking);
            await RefuseAsync(socket, 503, "Too many handshakes in progress.").ConfigureAwait(false);
            return false;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(FirstRequestHeadBytes);
        try
        {
            var capacity = Math.Min(buffer.Length, MaxRequestHeadBytes);
            var received = 0;
            var scanned = 0;
            int headLength;
            while ((headLength = WebSocketUpgradeRequest.HeadLength(buffer.AsSpan(0, received), scanned)) < 0)
            {
                // The blank line may straddle what arrived and what comes next: rescan only its last three bytes.
                scanned = Math.Max(0, received - 3);
                if (received == capacity)
                {
                    if (capacity == MaxRequestHeadBytes)
                    {
                        await RefuseAsync(socket, 431, $"The request head is limited to {MaxRequestHeadBytes} bytes.").ConfigureAwait(false);
                        return false;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(MaxRequestHeadBytes);
                    buffer.AsSpan(0, received).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                    capacity = MaxRequestHeadBytes;
                }

                var count = await ReceiveAsync(socket, buffer.AsMemory(received, capacity - received)).ConfigureAwait(false);
                if (count == 0)
                {
                    Refused("closed");
                    return false;
                }

                received += count;
            }

            if (headLength != received)
            {
                // RFC 6455 section 4.1: a client sends no frame before it has read the server's handshake.
                await RefuseAsync(socket, 400, "Data arrived before the handshake response.").ConfigureAwait(false);
                return false;
            }

            WebSocketUpgradeRequest upgrade;
            try
            {
                upgrade = WebSocketUpgradeRequest.Parse(buffer.AsSpan(0, headLength));
            }
            catch (WebSocketUpgradeException e)
            {
                await RefuseAsync(socket, e.StatusCode, e.Message).ConfigureAwait(false);
                return false;
            }

            if (upgrade.Path != "/ws")
            {
                await RefuseAsync(socket, 404, "This listener serves /ws only.").ConfigureAwait(false);
                return false;
            }

            var request = new SignalingRequest(
                upgrade.Origin ?? "",
                upgrade.Subprotocols,
                SignalingAuthenticator.TokenFrom(upgrade.Authorization, upgrade.QueryValue("access_token")),
                upgrade.QueryValue("resume"),
                upgrade.QueryValue("lastSeq"),
                new HostString(upgrade.Host));
            if (endpoint.Check(request, out var subprotocol) is { } refusal)
            {
                await RefuseAsync(socket, refusal.Status, refusal.Text ?? "Refused.").ConfigureAwait(false);
                return false;
            }

            var principal = await authenticator.AuthenticateAsync(request.Token).ConfigureAwait(false);
            var response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + $"Sec-WebSocket-Accept: {WebSocketUpgradeRequest.AcceptFor(upgrade.Key)}\r\n"
                + (subprotocol is null ? "" : $"Sec-WebSocket-Protocol: {subprotocol}\r\n")
                + "\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(response)).ConfigureAwait(false);
            deadline.Dispose();
            if (socket.Socket.SafeHandle.IsClosed)
            {
                Refused("timeout");
                return false;
            }

            var webSocket = new ListenerWebSocket(socket, subprotocol);

            // Not awaited: the connection runs on without this method's state (the request head, the handshake).
            _ = endpoint.RunAsync(webSocket, subprotocol, principal, request, CancellationToken.None);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Interlocked.Decrement(ref _handshaking);
        }
    }

    /// <summary>Reads what the socket has, waiting for readiness first when it has nothing yet (0 at end of stream).</summary>
    private static async ValueTask<int> ReceiveAsync(ListenerSocket socket, Memory<byte> into)
    {
        while (true)
        {
            var count = socket.Receive(into.Span, out var error);
            if (error != SocketError.WouldBlock)
            {
                return error == SocketError.Success ? count : throw new SocketException((int)error);
            }

            await socket.WaitReadableAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Answers a refused handshake with an HTTP status and a short text, then closes.</summary>
    private async Task RefuseAsync(ListenerSocket socket, int status, string text)
    {
        Refused(status.ToString(CultureInfo.InvariantCulture));
        SignalingLog.HandshakeRefused(logger, status, text);
        var response = $"HTTP/1.1 {status} {ReasonPhrases.GetReasonPhrase(status)}\r\n"
            + (status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "")
            + $"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {Encoding.UTF8.GetByteCount(text)}\r\nConnection: close\r\n\r\n"
            + text;
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(response)).ConfigureAwait(false);
            socket.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            SignalingLog.ConnectionFailed(logger, e);
        }
    }

    private void Refused(string reason) => metrics.HandshakesRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
