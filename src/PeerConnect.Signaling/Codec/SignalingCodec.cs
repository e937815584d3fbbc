using System.Buffers;
using System.Net.WebSockets;
using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Signaling.Codec;

/// <summary>One encoding of the signaling messages: JSON in text frames or CBOR in binary frames.</summary>
public abstract class SignalingCodec
{
    private protected SignalingCodec()
    {
    }

    /// <summary>JSON (<see cref="SignalingSubprotocols.Json"/>).</summary>
    public static SignalingCodec Json { get; } = new JsonSignalingCodec();

    /// <summary>CBOR (<see cref="SignalingSubprotocols.Cbor"/>).</summary>
    public static SignalingCodec Cbor { get; } = new CborSignalingCodec();

    /// <summary>The WebSocket subprotocol that selects this encoding.</summary>
    public abstract string Subprotocol { get; }

    /// <summary>The frame type messages travel in.</summary>
    public abstract WebSocketMessageType FrameType { get; }

    /// <summary>The codec for a negotiated subprotocol; JSON when none was negotiated; <see langword="null"/> if unknown.</summary>
    public static SignalingCodec? ForSubprotocol(string? subprotocol) => subprotocol switch
    {
        null or "" or SignalingSubprotocols.Json => Json,
        SignalingSubprotocols.Cbor => Cbor,
        _ => null,
    };

    /// <summary>Encodes one message as one frame's payload.</summary>
    public byte[] Encode(SignalingMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var scratch = t_scratch ??= new ArrayBufferWriter<byte>(512);
        scratch.ResetWrittenCount();
        using (WireMaps.Open())
        {
            Write(MessageWriter.ToWire(message, message.Seq), scratch);
        }

        return scratch.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Encodes one message as one frame's payload into <paramref name="output"/>: the hot path, where the caller
    /// sends from a pooled buffer instead of a new array per message.
    /// </summary>
    public void Encode(SignalingMessage message, IBufferWriter<byte> output) => Encode(message, message?.Seq, output);

    /// <summary>
    /// Encodes one message into <paramref name="output"/> with <paramref name="seq"/> as its <c>seq</c> field in place
    /// of <see cref="SignalingMessage.Seq"/>: a server numbers the messages it holds as it writes them, rather than
    /// keeping a numbered copy of each.
    /// </summary>
    public void Encode(SignalingMessage message, long? seq, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(output);
        using var maps = WireMaps.Open();
        Write(MessageWriter.ToWire(message, seq), output);
    }

    /// <summary>Decodes one frame's payload.</summary>
    /// <exception cref="SignalingProtocolException">The payload is not a valid message.</exception>
    public SignalingMessage Decode(ReadOnlyMemory<byte> payload)
    {
        // The maps are the wire's shape only: the message record built from them keeps none.
        using var maps = WireMaps.Open();
        return MessageReader.FromWire(Read(payload));
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    private protected abstract void Write(WireMap map, IBufferWriter<byte> output);

    private protected abstract WireMap Read(ReadOnlyMemory<byte> payload);

    private sealed class JsonSignalingCodec : SignalingCodec
    {
        public override string Subprotocol => SignalingSubprotocols.Json;

        public override WebSocketMessageType FrameType => WebSocketMessageType.Text;

        private protected override void Write(WireMap map, IBufferWriter<byte> output) => JsonWire.Write(map, output);

        private protected override WireMap Read(ReadOnlyMemory<byte> payload) => JsonWire.Read(payload.Span);
    }

    private sealed class CborSignalingCodec : SignalingCodec
    {
        public override string Subprotocol => SignalingSubprotocols.Cbor;

        public override WebSocketMessageType FrameType => WebSocketMessageType.Binary;

        private protected override void Write(WireMap map, IBufferWriter<byte> output) => CborWire.Write(map, output);

        private protected override WireMap Read(ReadOnlyMemory<byte> payload) => CborWire.Read(payload);
    }
}
