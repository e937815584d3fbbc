using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using PeerConnect.Stun;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Turn.Client;

/// <summary>
/// A TCP or TLS connection to a TURN server seen as a datagram pipe: each send writes one message, each receive
/// returns one. Over a stream, STUN messages are framed by their own length field (RFC 8489 §6.2.2) and
/// ChannelData by its Length plus padding to a multiple of 4 (RFC 8656 §12.5); the first byte tells them apart
/// (RFC 7983: 0–3 STUN, 64–79 ChannelData). Anything else means the stream lost framing and closes it.
/// </summary>
internal sealed class TurnStreamTransport : IDatagramTransport
{
    private readonly Stream _stream;
    private readonly Socket? _socket;
    private readonly IPEndPoint _server;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly byte[] _buffer;
    private int _start;
    private int _end;

    /// <summary>For testing and for callers with their own stream: <paramref name="maxMessageLength"/> bounds one frame.</summary>
    public TurnStreamTransport(Stream stream, IPEndPoint server, IPEndPoint local, int maxMessageLength, Socket? socket = null)
    {
        _stream = stream;
        _socket = socket;
        _server = server;
        LocalEndPoint = local;
        // Room for one largest frame plus what may already follow it, so refills do not shuffle bytes every time.
        _buffer = new byte[maxMessageLength * 2];
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Connects over TCP and, when <paramref name="tls"/> is given, authenticates the server with TLS.</summary>
    public static async Task<TurnStreamTransport> ConnectAsync(IPEndPoint server, SslClientAuthenticationOptions? tls, int maxMessageLength, CancellationToken cancellationToken)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(server, cancellationToken).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (tls is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(tls, cancellationToken).ConfigureAwait(false);
            }

            return new TurnStreamTransport(stream, server, (IPEndPoint)socket.LocalEndPoint!, maxMessageLength, socket);
        }
        catch
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            socket.Dispose();
            throw;
        }
    }

    /// <summary>Writes one whole message; concurrent senders take turns so frames never interleave.</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(datagram, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Reads the next STUN message or ChannelData frame (padding included) into <paramref name="buffer"/>.</summary>
    /// <exception cref="IOException">The server closed the connection.</exception>
    /// <exception cref="InvalidDataException">The bytes are neither STUN nor ChannelData, or a frame exceeds the limit.</exception>
    public async ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await FillAsync(ChannelDataFrame.HeaderLength, cancellationToken).ConfigureAwait(false);
        // ChannelData frame lengths count the padding to 4 bytes; STUN lengths are multiples of 4 already.
        if (!ChannelDataFrame.TryGetStreamFrameLength(_buffer.AsSpan(_start, _end - _start), out int frameLength))
        {
            if ((_buffer[_start] & 0xC0) != 0)
            {
                throw new InvalidDataException($"The TURN server sent a frame starting with 0x{_buffer[_start]:X2}, neither STUN nor ChannelData.");
            }

            await FillAsync(StunConstants.HeaderLength, cancellationToken).ConfigureAwait(false);
            if (!StunFraming.TryGetMessageLength(_buffer.AsSpan(_start, StunConstants.HeaderLength), out frameLength))
            {
                throw new InvalidDataException("The TURN server sent a message that is not STUN.");
            }
        }

        if (frameLength > _buffer.Length / 2)
        {
            throw new InvalidDataException($"A {frameLength}-byte frame exceeds the {_buffer.Length / 2}-byte limit.");
        }

        await FillAsync(frameLength, cancellationToken).ConfigureAwait(false);
        int count = Math.Min(frameLength, buffer.Length);
        _buffer.AsSpan(_start, count).CopyTo(buffer.Span);
        _start += frameLength;
        return new DatagramReceiveResult(count, _server);
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket?.Dispose();
        _writeLock.Dispose();
    }

    // Makes at least `needed` bytes of the current frame available at _buffer[_start..].
    private async ValueTask FillAsync(int needed, CancellationToken cancellationToken)
    {
        if (_end - _start >= needed)
        {
            return;
        }

        if (_start == _end)
        {
            _start = _end = 0;
        }

        if (_start + needed > _buffer.Length)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        while (_end - _start < needed)
        {
            int read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("The TURN server closed the connection.");
            }

            _end += read;
        }
    }
}
