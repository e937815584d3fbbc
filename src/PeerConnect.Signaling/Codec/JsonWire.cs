using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PeerConnect.Signaling.Codec;

/// <summary>Reads and writes <see cref="WireMap"/> as one JSON object (RFC 8259) in UTF-8.</summary>
internal static class JsonWire
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Frames go to WebSocket peers, never into HTML, so SDP keeps its '+' and '/' readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    public static WireMap Read(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = WireMap.MaxDepth });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new SignalingProtocolException("A message must be a JSON object.");
            }

            var map = ReadObject(ref reader);
            if (reader.Read())
            {
                throw new SignalingProtocolException("Trailing data after the JSON object.");
            }

            return map;
        }
        catch (JsonException e)
        {
            throw new SignalingProtocolException("Malformed JSON: " + e.Message, e);
        }
    }

    // One writer per thread, pointed at each output in turn: a new Utf8JsonWriter per message was most of what a
    // relayed signal allocated.
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static void Write(WireMap map, IBufferWriter<byte> output)
    {
        var writer = t_writer;
        if (writer is null)
        {
            writer = t_writer = new Utf8JsonWriter(output, WriterOptions);
        }
        else
        {
            writer.Reset(output);
        }

        WriteValue(writer, map);
        writer.Flush();
    }

    private static WireMap ReadObject(ref Utf8JsonReader reader)
    {
        var map = WireMaps.Next();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = GetString(ref reader);
            reader.Read();
            var value = ReadValue(ref reader);
            if (value is not null)
            {
                map.AddDecoded(key, value);
            }
        }

        return map;
    }

    /// <summary>The current string token; a field name, type or kind without allocating (escaped or not).</summary>
    private static string GetString(ref Utf8JsonReader reader)
    {
        if (reader.ValueSpan.Length > WireNames.MaxInternedLength)
        {
            return reader.GetString()!;
        }

        Span<char> text = stackalloc char[WireNames.MaxInternedLength];
        return WireNames.Intern(text[..reader.CopyString(text)]);
    }

    private static object? ReadValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return GetString(ref reader);
            case JsonTokenType.Number:
                return reader.TryGetInt64(out var number)
                    ? WireMap.Box(number)
                    : throw new SignalingProtocolException("Numbers must be integers.");
            case JsonTokenType.True:
                return true;
            case JsonTokenType.False:
                return false;
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.StartObject:
                return ReadObject(ref reader);
            case JsonTokenType.StartArray:
                var list = new List<object?>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (list.Count == WireMap.MaxEntries)
                    {
                        throw new SignalingProtocolException("Array too long.");
                    }

                    list.Add(ReadValue(ref reader));
                }

                return list;
            default:
                throw new SignalingProtocolException($"Unexpected JSON token {reader.TokenType}.");
        }
    }

    private static void WriteValue(Utf8JsonWriter writer, object value)
    {
        switch (value)
        {
            case string text:
                writer.WriteStringValue(text);
                break;
            case long number:
                writer.WriteNumberValue(number);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case WireMap map:
                writer.WriteStartObject();
                for (var i = 0; i < map.Count; i++)
                {
                    var entry = map.Entries[i];
                    writer.WritePropertyName(entry.Key);
                    WriteValue(writer, entry.Value);
                }

                writer.WriteEndObject();
                break;
            case List<object?> list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    WriteValue(writer, item!);
                }

                writer.WriteEndArray();
                break;
            default:
                throw new InvalidOperationException($"No JSON form for {value.GetType()}.");
        }
    }
}
