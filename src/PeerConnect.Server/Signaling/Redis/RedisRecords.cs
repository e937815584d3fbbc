using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using PeerConnect.Signaling.Codec;
using PeerConnect.Signaling.Protocol;

namespace PeerConnect.Server.Signaling.Redis;

/// <summary>
/// How deliveries, peers and principals are written into Redis. Messages reuse the protocol's JSON encoding, so the
/// store holds exactly what a client would read.
/// </summary>
/// <remarks>
/// A delivery envelope is UTF-8: <c>{target}|{sender}|{senderRef}|{relayStart}|{message JSON}</c>, with an empty
/// field for an absent sender or reference; stored and published as <c>{seq}|{envelope}</c> once numbered. Session
/// ids are base64url and the other header fields decimal, so none holds a <c>|</c>, and the message is the bytes
/// after the fifth one: a server reading a delivery parses the message's JSON once, straight from the bytes Redis
/// sent, instead of a JSON envelope and then the message inside it.
/// </remarks>
internal static class RedisRecords
{
    private const byte Separator = (byte)'|';

    /// <summary><c>{seq}|</c> then four header fields before the message.</summary>
    private const int HeaderFields = 5;

    private static readonly SignalingCodec Codec = SignalingCodec.Json;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    public static byte[] Envelope(SignalingDelivery delivery) => Envelope(null, delivery);

    /// <summary>A held message with its number, as the store keeps it.</summary>
    public static byte[] Numbered(HeldMessage held) =>
        Envelope(held.Seq, new SignalingDelivery("", held.Message, held.SenderSessionId, held.SenderRef, held.RelayStart));

    /// <summary>The sequence number in front of <c>{seq}|{envelope}</c>.</summary>
    public static long SeqOf(ReadOnlySpan<byte> item)
    {
        var bar = item.IndexOf(Separator);
        return bar > 0 && Utf8Parser.TryParse(item[..bar], out long seq, out var used) && used == bar
            ? seq
            : throw new FormatException("A stored delivery lacks its sequence number.");
    }

    /// <summary>Reads <c>{seq}|{envelope}</c>.</summary>
    public static SignalingDelivery Numbered(ReadOnlyMemory<byte> item)
    {
        var span = item.Span;
        Span<Range> fields = stackalloc Range[HeaderFields + 1];
        var start = 0;
        for (var i = 0; i < HeaderFields; i++)
        {
            var bar = span[start..].IndexOf(Separator);
            if (bar < 0)
            {
                throw new FormatException("A stored delivery lacks a header field.");
            }

            fields[i] = start..(start + bar);
            start += bar + 1;
        }

        fields[HeaderFields] = start..;

        var seq = Number(span[fields[0]]);
        var sender = span[fields[2]];
        var senderRef = span[fields[3]];
        var message = Codec.Decode(item[fields[HeaderFields]]);
        return new SignalingDelivery(
            Encoding.UTF8.GetString(span[fields[1]]),
            message,
            sender.IsEmpty ? null : Encoding.UTF8.GetString(sender),
            senderRef.IsEmpty ? null : Number(senderRef),
            Number(span[fields[4]]),
            seq);
    }

    public static HeldMessage Held(ReadOnlyMemory<byte> item)
    {
        var delivery = Numbered(item);
        return new HeldMessage(delivery.Message, delivery.Seq!.Value, delivery.SenderSessionId, delivery.SenderRef, delivery.RelayStart);
    }

    /// <summary>A peer as the body of a <c>peer-joined</c> message, the one JSON shape the codec already checks.</summary>
    public static string Peer(PeerInfo peer) => Encoding.UTF8.GetString(Codec.Encode(new PeerJoinedMessage("r", peer)));

    public static PeerInfo Peer(string json) => ((PeerJoinedMessage)Codec.Decode(Encoding.UTF8.GetBytes(json))).Peer;

    /// <summary>Allowed rooms: <c>*</c> for any, else a JSON array.</summary>
    public static string Rooms(SignalingPrincipal principal) =>
        principal.AllowedRooms is null ? "*" : JsonSerializer.Serialize(principal.AllowedRooms.ToArray(), RedisJsonContext.Default.StringArray);

    public static SignalingPrincipal Principal(string tokenUser, string rooms) => new(
        tokenUser.Length == 0 ? null : tokenUser,
        rooms == "*" ? null : new HashSet<string>(JsonSerializer.Deserialize(rooms, RedisJsonContext.Default.StringArray) ?? [], StringComparer.Ordinal));

    private static byte[] Envelope(long? seq, SignalingDelivery delivery)
    {
        // One array per envelope: header and message are written into a per-thread buffer, then copied out once.
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        if (seq is { } number)
        {
            WriteNumber(buffer, number);
            buffer.Write([Separator]);
        }

        WriteText(buffer, delivery.TargetSessionId);
        buffer.Write([Separator]);
        WriteText(buffer, delivery.SenderSessionId ?? "");
        buffer.Write([Separator]);
        if (delivery.SenderRef is { } senderRef)
        {
            WriteNumber(buffer, senderRef);
        }

        buffer.Write([Separator]);
        WriteNumber(buffer, delivery.RelayStart);
        buffer.Write([Separator]);
        Codec.Encode(delivery.Message.Seq is null ? delivery.Message : delivery.Message with { Seq = null }, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteText(ArrayBufferWriter<byte> buffer, string text)
    {
        var written = Encoding.UTF8.GetBytes(text, buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length)));
        buffer.Advance(written);
    }

    private static void WriteNumber(ArrayBufferWriter<byte> buffer, long number)
    {
        Utf8Formatter.TryFormat(number, buffer.GetSpan(20), out var written);
        buffer.Advance(written);
    }

    private static long Number(ReadOnlySpan<byte> field) =>
        Utf8Parser.TryParse(field, out long number, out var used) && used == field.Length
            ? number
            : throw new FormatException("A stored delivery has a malformed number.");
}

/// <summary>Source-generated JSON for the few plain values stored in Redis.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class RedisJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
