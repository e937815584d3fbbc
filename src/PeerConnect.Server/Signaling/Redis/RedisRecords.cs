using System.Buffers;
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
/// A delivery envelope: <c>{"t":target,"s":sender?,"r":senderRef?,"l":relayStart?,"m":{message}}</c>; stored and
/// published as <c>{seq}|{envelope}</c> once numbered.
/// </remarks>
internal static class RedisRecords
{
    private static readonly SignalingCodec Codec = SignalingCodec.Json;

    public static string Envelope(SignalingDelivery delivery)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("t", delivery.TargetSessionId);
            if (delivery.SenderSessionId is { } sender)
            {
                writer.WriteString("s", sender);
            }

            if (delivery.SenderRef is { } senderRef)
            {
                writer.WriteNumber("r", senderRef);
            }

            if (delivery.RelayStart != 0)
            {
                writer.WriteNumber("l", delivery.RelayStart);
            }

            writer.WritePropertyName("m");
            writer.WriteRawValue(Codec.Encode(delivery.Message with { Seq = null }), skipInputValidation: true);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The sequence number in front of <c>{seq}|{envelope}</c>.</summary>
    public static long SeqOf(string item)
    {
        var bar = item.IndexOf('|', StringComparison.Ordinal);
        return bar > 0
            ? long.Parse(item.AsSpan(0, bar), NumberStyles.None, CultureInfo.InvariantCulture)
            : throw new FormatException("A stored delivery lacks its sequence number.");
    }

    /// <summary>Reads <c>{seq}|{envelope}</c>.</summary>
    public static SignalingDelivery Numbered(string item)
    {
        var seq = SeqOf(item);
        var bar = item.IndexOf('|', StringComparison.Ordinal);
        using var document = JsonDocument.Parse(item.AsMemory(bar + 1));
        var root = document.RootElement;
        var message = Codec.Decode(Encoding.UTF8.GetBytes(root.GetProperty("m").GetRawText()));
        return new SignalingDelivery(
            root.GetProperty("t").GetString()!,
            message with { Seq = seq },
            root.TryGetProperty("s", out var sender) ? sender.GetString() : null,
            root.TryGetProperty("r", out var senderRef) ? senderRef.GetInt64() : null,
            root.TryGetProperty("l", out var relayStart) ? relayStart.GetInt64() : 0,
            seq);
    }

    public static string Numbered(HeldMessage held)
    {
        var seq = held.Message.Seq!.Value;
        return seq.ToString(CultureInfo.InvariantCulture) + "|" + Envelope(new SignalingDelivery("", held.Message, held.SenderSessionId, held.SenderRef, held.RelayStart));
    }

    public static HeldMessage Held(string item)
    {
        var delivery = Numbered(item);
        return new HeldMessage(delivery.Message, delivery.SenderSessionId, delivery.SenderRef, delivery.RelayStart);
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
}

/// <summary>Source-generated JSON for the few plain values stored in Redis.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class RedisJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
