using System.Net.WebSockets;
using PeerConnect.Signaling.Codec;
using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Signaling.Client;

/// <summary>One WebSocket connection of a client: framing, encoding and a send lock (a WebSocket allows one send at a time).</summary>
internal sealed class SignalingLink : IDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly int _maxReceiveBytes;
    private byte[] _buffer = new byte[4096];

    private SignalingLink(ClientWebSocket socket, SignalingCodec codec, int maxReceiveBytes)
    {
        _socket = socket;
        Codec = codec;
        _maxReceiveBytes = maxReceiveBytes;
    }

    public SignalingCodec Codec { get; }

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    /// <summary>Connects and reads the greeting; a refusal (<c>error</c> then close) becomes a <see cref="SignalingException"/>.</summary>
    public static async Task<(SignalingLink Link, WelcomeMessage Welcome)> OpenAsync(
        Uri uri, SignalingClientOptions options, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(options.Subprotocol);
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        options.ConfigureWebSocket?.Invoke(socket.Options);
        SignalingLink? link = null;
        try
        {
            await socket.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
            var codec = SignalingCodec.ForSubprotocol(socket.SubProtocol)
                ?? throw new SignalingException($"The server chose an unknown subprotocol '{socket.SubProtocol}'.");
            link = new SignalingLink(socket, codec, options.MaxReceiveBytes);
            var first = await link.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            return first switch
            {
                WelcomeMessage welcome => (link, welcome),
                ErrorMessage error => throw new SignalingException(error.Code, error.Message),
                null => throw new SignalingException("The server closed the connection before greeting."),
                _ => throw new SignalingException($"The server greeted with '{first.Type}' instead of 'welcome'."),
            };
        }
        catch
        {
            if (link is null)
            {
                socket.Dispose();
            }
            else
            {
                link.Dispose();
            }

            throw;
        }
    }

    /// <summary>The next message, or <see langword="null"/> when the server closed the connection.</summary>
    public async Task<SignalingMessage?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            if (length == _buffer.Length)
            {
                if (length >= _maxReceiveBytes)
                {
                    throw new SignalingProtocolException($"Server message larger than {_maxReceiveBytes} bytes.");
                }

                Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, _maxReceiveBytes));
            }

            result = await _socket.ReceiveAsync(_buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            length += result.Count;
        }
        while (!result.EndOfMessage);

        return Codec.Decode(_buffer.AsMemory(0, length));
    }

    public async Task SendAsync(SignalingMessage message, CancellationToken cancellationToken)
    {
        var payload = Codec.Encode(message);
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(payload, Codec.FrameType, true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Closes normally (1000): the server ends the session at once instead of holding it for a resume.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Drops the TCP connection without a close frame, as a network change would.</summary>
    public void Abort() => _socket.Abort();

    public void Dispose()
    {
        _socket.Dispose();
        _sendLock.Dispose();
    }
}
