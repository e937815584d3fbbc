using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Signaling.Tests.Infrastructure;

/// <summary>A bare WebSocket that sends hand-written frames and reads frames back, with no protocol logic of ours.</summary>
public sealed class RawClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;

    private RawClient(ClientWebSocket socket) => _socket = socket;

    public ClientWebSocket Socket => _socket;

    public static async Task<RawClient> ConnectAsync(Uri uri, string? subprotocol, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        if (subprotocol is not null)
        {
            socket.Options.AddSubProtocol(subprotocol);
        }

        configure?.Invoke(socket.Options);
        await socket.ConnectAsync(uri, CancellationToken.None).WaitAsync(Timeouts.Generous);
        return new RawClient(socket);
    }

    public Task SendTextAsync(string json) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(Timeouts.Generous);

    public Task SendBinaryAsync(byte[] payload) =>
        _socket.SendAsync(payload, WebSocketMessageType.Binary, true, CancellationToken.None).WaitAsync(Timeouts.Generous);

    /// <summary>The next frame's type and bytes; type Close when the server closed.</summary>
    public async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveFrameAsync()
    {
        var buffer = new byte[1 << 20];
        var length = 0;
        ValueWebSocketReceiveResult result;
        using var timeout = new CancellationTokenSource(Timeouts.Generous);
        do
        {
            result = await _socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
            length += result.Count;
        }
        while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

        return (result.MessageType, buffer[..length]);
    }

    public bool IsCbor => _socket.SubProtocol == SignalingSubprotocols.Cbor;

    /// <summary>Sends a hand-written JSON message, converted to CBOR first on a CBOR connection.</summary>
    public Task SendJsonAsync(string json) => IsCbor ? SendBinaryAsync(JsonCbor.ToCbor(json)) : SendTextAsync(json);

    /// <summary>The next frame as JSON (CBOR converted), heartbeats included.</summary>
    public async Task<JsonElement> ReceiveAnyJsonAsync()
    {
        var (type, payload) = await ReceiveFrameAsync();
        Assert.Equal(IsCbor ? WebSocketMessageType.Binary : WebSocketMessageType.Text, type);
        return IsCbor ? JsonCbor.ToJson(payload) : JsonDocument.Parse(payload).RootElement;
    }

    /// <summary>The next frame other than a heartbeat, as JSON, parsed without our codec.</summary>
    public async Task<JsonElement> ReceiveJsonAsync()
    {
        while (true)
        {
            var element = await ReceiveAnyJsonAsync();
            if (element.GetProperty("type").GetString() is not ("ping" or "pong"))
            {
                return element;
            }
        }
    }

    /// <summary>The next non-heartbeat frame, asserting its type.</summary>
    public async Task<JsonElement> ExpectAsync(string type)
    {
        var element = await ReceiveJsonAsync();
        Assert.Equal(type, element.GetProperty("type").GetString());
        return element;
    }

    /// <summary>The next non-heartbeat frame, asserting it is an error with this code.</summary>
    public async Task<JsonElement> ExpectErrorAsync(string code)
    {
        var element = await ExpectAsync("error");
        Assert.Equal(code, element.GetProperty("code").GetString());
        return element;
    }

    /// <summary>Proves the connection is still up and everything before was read: ping, then expect pong.</summary>
    public async Task ExpectAliveAsync()
    {
        await SendJsonAsync("""{"type":"ping"}""");
        while (true)
        {
            var element = await ReceiveAnyJsonAsync();
            var type = element.GetProperty("type").GetString();
            if (type == "pong")
            {
                return;
            }

            Assert.Equal("ping", type);
        }
    }

    /// <summary>Reads until the server's close frame and returns its status.</summary>
    public async Task<int> ReceiveCloseAsync()
    {
        while (true)
        {
            var (type, _) = await ReceiveFrameAsync();
            if (type == WebSocketMessageType.Close)
            {
                return (int)_socket.CloseStatus!.Value;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        await Task.CompletedTask;
    }
}
