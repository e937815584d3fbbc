using System.Formats.Cbor;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerConnect.Signaling.Tests.Infrastructure;

/// <summary>
/// Converts hand-written JSON frames to CBOR and CBOR frames back to JSON, straight over System.Formats.Cbor and
/// System.Text.Json, so raw tests check the server against the specs rather than against our own codec.
/// </summary>
public static class JsonCbor
{
    public static byte[] ToCbor(string json)
    {
        var writer = new CborWriter();
        Write(writer, JsonDocument.Parse(json).RootElement);
        return writer.Encode();
    }

    public static JsonElement ToJson(byte[] cbor)
    {
        var reader = new CborReader(cbor);
        var node = Read(reader);
        Assert.Equal(0, reader.BytesRemaining);
        return JsonDocument.Parse(node!.ToJsonString()).RootElement;
    }

    private static void Write(CborWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartMap(element.EnumerateObject().Count());
                foreach (var property in element.EnumerateObject())
                {
                    writer.WriteTextString(property.Name);
                    Write(writer, property.Value);
                }

                writer.WriteEndMap();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray(element.GetArrayLength());
                foreach (var item in element.EnumerateArray())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteTextString(element.GetString()!);
                break;
            case JsonValueKind.Number:
                writer.WriteInt64(element.GetInt64());
                break;
            case JsonValueKind.True or JsonValueKind.False:
                writer.WriteBoolean(element.GetBoolean());
                break;
            default:
                writer.WriteNull();
                break;
        }
    }

    private static JsonNode? Read(CborReader reader)
    {
        switch (reader.PeekState())
        {
            case CborReaderState.StartMap:
                var map = new JsonObject();
                reader.ReadStartMap();
                while (reader.PeekState() != CborReaderState.EndMap)
                {
                    map.Add(reader.ReadTextString(), Read(reader));
                }

                reader.ReadEndMap();
                return map;
            case CborReaderState.StartArray:
                var array = new JsonArray();
                reader.ReadStartArray();
                while (reader.PeekState() != CborReaderState.EndArray)
                {
                    array.Add(Read(reader));
                }

                reader.ReadEndArray();
                return array;
            case CborReaderState.TextString:
                return JsonValue.Create(reader.ReadTextString());
            case CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger:
                return JsonValue.Create(reader.ReadInt64());
            case CborReaderState.Boolean:
                return JsonValue.Create(reader.ReadBoolean());
            default:
                reader.ReadNull();
                return null;
        }
    }
}
