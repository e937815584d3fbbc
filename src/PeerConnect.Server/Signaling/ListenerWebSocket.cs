using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace PeerConnect.Server.Signaling;

/// <summary>
/// The server end of RFC 6455 framing (section 5) on a listener connection's socket, which it owns. It replaces
/// <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/> over a stream to keep an idle connection
/// small: no stream and no read buffer, so a connection waiting for its next frame holds this object, the socket's
/// zero-byte receive and the one state machine awaiting it (about 340 bytes less per connection than the framework's
/// WebSocket over a stream, by a walk of the heap). A frame header is read into a 14-byte inline buffer (a read may
/// take the next header's first bytes with it), a payload straight into the caller's memory and unmasked there. A frame is written whole: handed to the
/// non-blocking socket at once, and only what the kernel does not take is sent asynchronously. No extension is
/// negotiated, so a frame with an RSV bit set fails the connection, as does every other breach of section 5 (with
/// 1002) and a text message or close reason that is not UTF-8 (section 8.1, with 1007).
/// </summary>
internal sealed class ListenerWebSocket : WebSocket
{
    /// <summary>RFC 6455 section 5.5: control frames carry at most 125 bytes.</summary>
    private const int MaxControlPayload = 125;

    /// <summary>Section 5.2: two bytes, up to eight of extended length, four of masking key.</summary>
    private const int MaxHeaderBytes = 14;

    private const byte FinalBit = 0x80;
    private const byte ReservedBits = 0x70;
    private const byte MaskBit = 0x80;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ListenerSocket _socket;
    private readonly string? _subProtocol;
    private readonly Lock _sendGate = new();

    /// <summary>A write the kernel did not take at once; a later write waits for it, so frames never interleave.</summary>
    private Task? _sendTail;
    private bool _sendingFragments;

    /// <summary>Set under the send lock once a close frame is written: nothing may follow it (section 5.5.1).</summary>
    private bool _closeFrameWritten;

    private HeaderBytes _header;
    private int _headerStart;
    private int _headerCount;

    private bool _inFrame;
    private Opcode _frameOpcode;
    private bool _frameFinal;
    private long _payloadLeft;
    private uint _maskKey;
    private int _maskOffset;

    private bool _inMessage;
    private WebSocketMessageType _messageType;
    private Utf8Tail _utf8Tail;
    private int _utf8TailCount;

    private int _state = (int)WebSocketState.Open;
    private WebSocketCloseStatus? _closeStatus;
    private string? _closeStatusDescription;

    /// <summary>
    /// Takes ownership of <paramref name="socket"/>, prepared (<see cref="ListenerSocket.Prepare"/>) and upgraded.
    /// </summary>
    public ListenerWebSocket(ListenerSocket socket, string? subProtocol)
    {
        _socket = socket;
        _subProtocol = subProtocol;
    }

    private enum Opcode : byte
    {
        Continuation = 0x0,
        Text = 0x1,
        Binary = 0x2,
        Close = 0x8,
        Ping = 0x9,
        Pong = 0xA,
    }

    public override WebSocketCloseStatus? CloseStatus => _closeStatus;

    public override string? CloseStatusDescription => _closeStatusDescription;

    public override WebSocketState State => (WebSocketState)Volatile.Read(ref _state);

    public override string? SubProtocol => _subProtocol;

    public override ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (State is not (WebSocketState.Open or WebSocketState.CloseSent))
        {
            return ValueTask.FromException<ValueWebSocketReceiveResult>(new WebSocketException(WebSocketError.InvalidState, $"Cannot receive in state {State}."));
        }

        return ReceiveCoreAsync(buffer, cancellationToken);
    }

    /// <summary>
    /// Completes when a frame may have arrived: at once if bytes read ahead or a frame in progress are waiting, else
    /// when the socket becomes readable. A reader that waits here between messages holds no receive in progress (its
    /// state machine, 168 bytes per idle connection); the receive that follows reads what came, and waits itself only
    /// if that was not yet a whole data frame's header.
    /// </summary>
    public ValueTask<int> WaitForFrameAsync() =>
        _inFrame || _headerCount > 0 || State is not (WebSocketState.Open or WebSocketState.CloseSent)
            ? ValueTask.FromResult(0)
            : _socket.WaitReadableAsync();

    public override async Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken)
    {
        var result = await ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
        return result.MessageType == WebSocketMessageType.Close
            ? new WebSocketReceiveResult(0, WebSocketMessageType.Close, true, _closeStatus, _closeStatusDescription)
            : new WebSocketReceiveResult(result.Count, result.MessageType, result.EndOfMessage);
    }

    public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        if (messageType is not (WebSocketMessageType.Text or WebSocketMessageType.Binary))
        {
            throw new ArgumentException("Send text or binary; close with CloseOutputAsync.", nameof(messageType));
        }

        if (State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return ValueTask.FromException(new WebSocketException(WebSocketError.InvalidState, $"Cannot send in state {State}."));
        }

        // Section 5.4: the fragments after the first of a message are continuation frames.
        var opcode = _sendingFragments ? Opcode.Continuation : messageType == WebSocketMessageType.Text ? Opcode.Text : Opcode.Binary;
        _sendingFragments = !endOfMessage;
        return WriteFrame(opcode, endOfMessage, buffer.Span, cancellationToken);
    }

    public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
        SendAsync(buffer.AsMemory(), messageType, endOfMessage, cancellationToken).AsTask();

    public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        var reason = StrictUtf8.GetBytes(statusDescription ?? "");
        if (reason.Length > MaxControlPayload - 2)
        {
            throw new ArgumentException($"A close reason is at most {MaxControlPayload - 2} bytes of UTF-8 (RFC 6455 section 5.5).", nameof(statusDescription));
        }

        var payload = new byte[2 + reason.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)closeStatus);
        reason.CopyTo(payload, 2);
        while (true)
        {
            var state = State;
            var next = state switch
            {
                WebSocketState.Open => WebSocketState.CloseSent,
                WebSocketState.CloseReceived => WebSocketState.Closed,
                _ => throw new WebSocketException(WebSocketError.InvalidState, $"Cannot close in state {state}."),
            };
            if (Interlocked.CompareExchange(ref _state, (int)next, (int)state) == (int)state)
            {
                break;
            }
        }

        return WriteFrame(Opcode.Close, true, payload, cancellationToken).AsTask();
    }

    public override async Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        await CloseOutputAsync(closeStatus, statusDescription, cancellationToken).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            while (State == WebSocketState.CloseSent
                && (await ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Closes the socket at once; a pending receive or send fails.</summary>
    public override void Abort()
    {
        if (State != WebSocketState.Closed)
        {
            Volatile.Write(ref _state, (int)WebSocketState.Aborted);
        }

        _socket.Close();
    }

    public override void Dispose() => Abort();

    private static WebSocketException Premature(Exception? inner = null) =>
        new(WebSocketError.ConnectionClosedPrematurely, "The client closed the connection without a close frame.", inner);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ValueWebSocketReceiveResult> ReceiveCoreAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                if (!_inFrame)
                {
                    while (!TryTakeHeader())
                    {
                        while (!TryReadAhead())
                        {
                            await WaitReadableAsync(cancellationToken).ConfigureAwait(false);
                        }
                    }

                    if (!_inFrame)
                    {
                        // A control frame: its payload is read whole, then answered.
                        if (await ReceiveControlAsync(cancellationToken).ConfigureAwait(false))
                        {
                            return new ValueWebSocketReceiveResult(0, WebSocketMessageType.Close, true);
                        }

                        continue;
                    }
                }

                if (_payloadLeft == 0)
                {
                    // An empty frame: the message ends here if it is the last fragment, else the next one follows.
                    _inFrame = false;
                    if (_frameFinal)
                    {
                        EndMessage();
                        return new ValueWebSocketReceiveResult(0, _messageType, true);
                    }

                    continue;
                }

                if (buffer.IsEmpty)
                {
                    return new ValueWebSocketReceiveResult(0, _messageType, false);
                }

                var want = (int)Math.Min(buffer.Length, _payloadLeft);
                int got;
                while ((got = TryReadPayload(buffer.Span[..want])) < 0)
                {
                    await WaitReadableAsync(cancellationToken).ConfigureAwait(false);
                }

                Unmask(buffer.Span[..got]);
                _payloadLeft -= got;
                var end = _payloadLeft == 0 && _frameFinal;
                if (_messageType == WebSocketMessageType.Text)
                {
                    ValidateUtf8(buffer.Span[..got], end);
                }

                if (_payloadLeft == 0)
                {
                    _inFrame = false;
                    if (end)
                    {
                        EndMessage();
                    }
                }

                return new ValueWebSocketReceiveResult(got, _messageType, end);
            }
        }
        catch (SocketException e)
        {
            throw Premature(e);
        }
    }

    /// <summary>Waits until the socket has something to read, holding no buffer.</summary>
    private ValueTask<int> WaitReadableAsync(CancellationToken cancellationToken) => _socket.WaitReadableAsync(cancellationToken);

    /// <summary>Reads what the socket has, up to the header buffer's room, without waiting; false when it has nothing.</summary>
    private bool TryReadAhead()
    {
        Span<byte> header = _header;
        if (_headerStart > 0)
        {
            header.Slice(_headerStart, _headerCount).CopyTo(header);
            _headerStart = 0;
        }

        var n = Receive(header[_headerCount..]);
        if (n < 0)
        {
            return false;
        }

        _headerCount += n;
        return true;
    }

    /// <summary>Bytes into <paramref name="into"/> without waiting: -1 when none are there yet.</summary>
    private int Receive(Span<byte> into)
    {
        var n = _socket.Receive(into, out var error);
        if (error == SocketError.WouldBlock)
        {
            return -1;
        }

        if (error != SocketError.Success)
        {
            throw Premature(new SocketException((int)error));
        }

        return n == 0 ? throw Premature() : n;
    }

    /// <summary>
    /// Parses a frame header (RFC 6455 section 5.2) from the read-ahead bytes once all of it is there. A data frame
    /// becomes the current frame; a control frame's header is left for <see cref="ReceiveControlAsync"/>.
    /// </summary>
    private bool TryTakeHeader()
    {
        ReadOnlySpan<byte> bytes = ((ReadOnlySpan<byte>)_header).Slice(_headerStart, _headerCount);
        if (bytes.Length < 2)
        {
            return false;
        }

        var lengthBytes = (bytes[1] & 0x7F) switch { 126 => 2, 127 => 8, _ => 0 };
        var headerLength = 2 + lengthBytes + 4;
        if ((bytes[1] & MaskBit) == 0)
        {
            throw Fail(WebSocketCloseStatus.ProtocolError, "Frames from a client must be masked (RFC 6455 section 5.1).");
        }

        if (bytes.Length < headerLength)
        {
            return false;
        }

        if ((bytes[0] & ReservedBits) != 0)
        {
            throw Fail(WebSocketCloseStatus.ProtocolError, "RSV bits set without a negotiated extension (RFC 6455 section 5.2).");
        }

        var opcode = (Opcode)(bytes[0] & 0x0F);
        var final = (bytes[0] & FinalBit) != 0;
        long length = lengthBytes switch
        {
            2 => BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]),
            8 => (long)BinaryPrimitives.ReadUInt64BigEndian(bytes[2..]),
            _ => bytes[1] & 0x7F,
        };
        if (length < 0)
        {
            throw Fail(WebSocketCloseStatus.ProtocolError, "A 64-bit payload length must have its most significant bit clear (RFC 6455 section 5.2).");
        }

        switch (opcode)
        {
            case Opcode.Close or Opcode.Ping or Opcode.Pong:
                if (!final || length > MaxControlPayload)
                {
                    throw Fail(WebSocketCloseStatus.ProtocolError, "Control frames are unfragmented and at most 125 bytes (RFC 6455 section 5.5).");
                }

                break;
            case Opcode.Continuation when !_inMessage:
                throw Fail(WebSocketCloseStatus.ProtocolError, "A continuation frame without a message to continue (RFC 6455 section 5.4).");
            case Opcode.Text or Opcode.Binary when _inMessage:
                throw Fail(WebSocketCloseStatus.ProtocolError, "A new message before the last one's final fragment (RFC 6455 section 5.4).");
            case Opcode.Continuation or Opcode.Text or Opcode.Binary:
                break;
            default:
                throw Fail(WebSocketCloseStatus.ProtocolError, $"Unknown opcode {(int)opcode} (RFC 6455 section 5.2).");
        }

        _maskKey = MemoryMarshal.Read<uint>(bytes.Slice(2 + lengthBytes, 4));
        _maskOffset = 0;
        _payloadLeft = length;
        _frameFinal = final;
        _headerStart += headerLength;
        _headerCount -= headerLength;
        if (opcode is Opcode.Text or Opcode.Binary)
        {
            _inMessage = true;
            _messageType = opcode == Opcode.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
        }

        _inFrame = opcode is Opcode.Continuation or Opcode.Text or Opcode.Binary;
        _frameOpcode = opcode;
        return true;
    }

    /// <summary>Payload bytes of the current frame into <paramref name="into"/>: read-ahead bytes first, then the socket.</summary>
    private int TryReadPayload(Span<byte> into)
    {
        if (_headerCount > 0)
        {
            var n = Math.Min(_headerCount, into.Length);
            ((ReadOnlySpan<byte>)_header).Slice(_headerStart, n).CopyTo(into);
            _headerStart += n;
            _headerCount -= n;
            return n;
        }

        return Receive(into);
    }

    /// <summary>
    /// Reads a control frame's payload and acts on it: a ping is answered with a pong (section 5.5.2), a pong is
    /// dropped, a close (section 5.5.1) records the status and reason. True for a close.
    /// </summary>
    private async ValueTask<bool> ReceiveControlAsync(CancellationToken cancellationToken)
    {
        var opcode = _frameOpcode;
        var length = (int)_payloadLeft;
        var payload = ArrayPool<byte>.Shared.Rent(MaxControlPayload);
        try
        {
            var read = 0;
            while (read < length)
            {
                var got = TryReadPayload(payload.AsSpan(read, length - read));
                if (got < 0)
                {
                    await WaitReadableAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                Unmask(payload.AsSpan(read, got));
                read += got;
            }

            _payloadLeft = 0;
            switch (opcode)
            {
                case Opcode.Ping:
                    await WriteFrame(Opcode.Pong, true, payload.AsSpan(0, length), cancellationToken).ConfigureAwait(false);
                    return false;
                case Opcode.Close:
                    ReceivedClose(payload.AsSpan(0, length));
                    return true;
                default:
                    return false;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(payload);
        }
    }

    /// <summary>RFC 6455 section 5.5.1 and 7.4: an optional status code the client may send, then a UTF-8 reason.</summary>
    private void ReceivedClose(ReadOnlySpan<byte> payload)
    {
        if (payload.Length == 1)
        {
            throw Fail(WebSocketCloseStatus.ProtocolError, "A close frame's body starts with a two-byte status code (RFC 6455 section 5.5.1).");
        }

        if (payload.Length == 0)
        {
            _closeStatus = WebSocketCloseStatus.Empty;
        }
        else
        {
            var code = BinaryPrimitives.ReadUInt16BigEndian(payload);
            if (!IsValidReceivedCloseCode(code))
            {
                throw Fail(WebSocketCloseStatus.ProtocolError, $"Close status {code} may not be sent (RFC 6455 section 7.4).");
            }

            string reason;
            try
            {
                reason = StrictUtf8.GetString(payload[2..]);
            }
            catch (DecoderFallbackException)
            {
                throw Fail(WebSocketCloseStatus.InvalidPayloadData, "A close reason must be UTF-8 (RFC 6455 section 5.5.1).");
            }

            _closeStatus = (WebSocketCloseStatus)code;
            _closeStatusDescription = reason;
        }

        while (true)
        {
            var state = State;
            var next = state == WebSocketState.CloseSent ? WebSocketState.Closed : WebSocketState.CloseReceived;
            if (Interlocked.CompareExchange(ref _state, (int)next, (int)state) == (int)state)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Section 7.4.1 and the IANA registry it sets up: 1000–1003 and 1007–1014 are defined to be sent, 3000–4999 are
    /// for libraries and applications; 1004–1006 and 1015 are reserved or never sent in a frame.
    /// </summary>
    private static bool IsValidReceivedCloseCode(int code) =>
        code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);

    private void EndMessage()
    {
        _inMessage = false;
        if (_utf8TailCount != 0)
        {
            throw Fail(WebSocketCloseStatus.InvalidPayloadData, "A text message ends inside a UTF-8 sequence (RFC 6455 section 8.1).");
        }
    }

    /// <summary>RFC 6455 section 5.3: payload byte i is XORed with byte i mod 4 of the masking key.</summary>
    private void Unmask(Span<byte> data)
    {
        // The key three times over: eight bytes of it from any offset are the mask for eight payload bytes at once.
        Span<byte> key = stackalloc byte[12];
        MemoryMarshal.Write(key, _maskKey);
        key[..4].CopyTo(key[4..]);
        key[..4].CopyTo(key[8..]);
        var pattern = MemoryMarshal.Read<ulong>(key[_maskOffset..]);
        var i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            MemoryMarshal.Write(data[i..], MemoryMarshal.Read<ulong>(data[i..]) ^ pattern);
        }

        for (; i < data.Length; i++)
        {
            data[i] ^= key[(_maskOffset + i) & 3];
        }

        _maskOffset = (_maskOffset + data.Length) & 3;
    }

    /// <summary>
    /// Section 8.1: a text message must be UTF-8. Validated as it arrives; a sequence cut by the end of a read is
    /// kept (at most three bytes) and completed by the next.
    /// </summary>
    private void ValidateUtf8(ReadOnlySpan<byte> data, bool endOfMessage)
    {
        if (_utf8TailCount > 0)
        {
            Span<byte> joined = stackalloc byte[4];
            ((ReadOnlySpan<byte>)_utf8Tail)[.._utf8TailCount].CopyTo(joined);
            var take = Math.Min(4 - _utf8TailCount, data.Length);
            data[..take].CopyTo(joined[_utf8TailCount..]);
            var status = Rune.DecodeFromUtf8(joined[..(_utf8TailCount + take)], out _, out var consumed);
            if (status == OperationStatus.NeedMoreData)
            {
                joined[..(_utf8TailCount + take)].CopyTo(_utf8Tail);
                _utf8TailCount += take;
                return;
            }

            if (status != OperationStatus.Done)
            {
                throw Fail(WebSocketCloseStatus.InvalidPayloadData, "A text message that is not UTF-8 (RFC 6455 section 8.1).");
            }

            data = data[(consumed - _utf8TailCount)..];
            _utf8TailCount = 0;
        }

        while (true)
        {
            var nonAscii = data.IndexOfAnyExceptInRange((byte)0, (byte)0x7F);
            if (nonAscii < 0)
            {
                return;
            }

            data = data[nonAscii..];
            var status = Rune.DecodeFromUtf8(data, out _, out var consumed);
            if (status == OperationStatus.Done)
            {
                data = data[consumed..];
            }
            else if (status == OperationStatus.NeedMoreData && !endOfMessage)
            {
                data.CopyTo(_utf8Tail);
                _utf8TailCount = data.Length;
                return;
            }
            else
            {
                throw Fail(WebSocketCloseStatus.InvalidPayloadData, "A text message that is not UTF-8 (RFC 6455 section 8.1).");
            }
        }
    }

    /// <summary>
    /// Fails the connection (section 7.1.7): sends a close frame with <paramref name="status"/> if none has been sent,
    /// marks the WebSocket aborted and returns the exception for the reader to throw.
    /// </summary>
    private WebSocketException Fail(WebSocketCloseStatus status, string reason)
    {
        var state = Interlocked.Exchange(ref _state, (int)WebSocketState.Aborted);
        if (state is (int)WebSocketState.Open or (int)WebSocketState.CloseReceived)
        {
            Span<byte> frame = stackalloc byte[4];
            frame[0] = FinalBit | (byte)Opcode.Close;
            frame[1] = 2;
            BinaryPrimitives.WriteUInt16BigEndian(frame[2..], (ushort)status);
            lock (_sendGate)
            {
                if (!_closeFrameWritten && (_sendTail is null || _sendTail.IsCompleted))
                {
                    _closeFrameWritten = true;
                    _socket.Send(frame, out _);
                }
            }
        }

        return new WebSocketException(WebSocketError.Faulted, reason);
    }

    /// <summary>
    /// Writes one frame (section 5.2, unmasked from a server), after any write still in progress. A pong that would
    /// follow the close frame (a ping read while the server was closing) is dropped.
    /// </summary>
    private ValueTask WriteFrame(Opcode opcode, bool final, ReadOnlySpan<byte> payload, CancellationToken cancellationToken)
    {
        var headerLength = payload.Length <= MaxControlPayload ? 2 : payload.Length <= ushort.MaxValue ? 4 : 10;
        var length = headerLength + payload.Length;
        var frame = ArrayPool<byte>.Shared.Rent(length);
        frame[0] = (byte)((final ? FinalBit : 0) | (byte)opcode);
        switch (headerLength)
        {
            case 2:
                frame[1] = (byte)payload.Length;
                break;
            case 4:
                frame[1] = 126;
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
                break;
            default:
                frame[1] = 127;
                BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
                break;
        }

        payload.CopyTo(frame.AsSpan(headerLength));
        lock (_sendGate)
        {
            if (_closeFrameWritten)
            {
                ArrayPool<byte>.Shared.Return(frame);
                return opcode == Opcode.Pong
                    ? ValueTask.CompletedTask
                    : ValueTask.FromException(new WebSocketException(WebSocketError.InvalidState, "The close frame has been sent."));
            }

            _closeFrameWritten = opcode == Opcode.Close;
            if (_sendTail is { IsCompleted: false } previous)
            {
                _sendTail = SendFrameAfterAsync(previous, frame, length, cancellationToken);
                return new ValueTask(_sendTail);
            }

            var sent = _socket.Send(frame.AsSpan(0, length), out var error);
            if (error == SocketError.Success && sent == length)
            {
                ArrayPool<byte>.Shared.Return(frame);
                _sendTail = null;
                return ValueTask.CompletedTask;
            }

            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                ArrayPool<byte>.Shared.Return(frame);
                return ValueTask.FromException(Premature(new SocketException((int)error)));
            }

            _sendTail = SendFrameRestAsync(frame, Math.Max(sent, 0), length, cancellationToken);
            return new ValueTask(_sendTail);
        }
    }

    private async Task SendFrameAfterAsync(Task previous, byte[] frame, int length, CancellationToken cancellationToken)
    {
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await SendFrameRestAsync(frame, 0, length, cancellationToken).ConfigureAwait(false);
    }

    private async Task SendFrameRestAsync(byte[] frame, int sent, int length, CancellationToken cancellationToken)
    {
        try
        {
            await _socket.SendAsync(frame.AsMemory(sent, length - sent), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw Premature(e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    [InlineArray(MaxHeaderBytes)]
    private struct HeaderBytes
    {
        private byte _first;
    }

    [InlineArray(4)]
    private struct Utf8Tail
    {
        private byte _first;
    }
}
