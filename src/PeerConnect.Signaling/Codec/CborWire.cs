using System.Buffers;
using System.Formats.Cbor;

namespace PeerConnect.Signaling.Codec;

/// <summary>
/// Reads and writes <see cref="WireMap"/> as one CBOR map (RFC 8949) with text-string keys. Only the major types
/// JSON also has are used: unsigned/negative integer (0, 1), text string (3), array (4), map (5), and the simple
/// values false, true, null (7). Byte strings, tags and floats are refused.
/// </summary>
internal static class CborWire
{
    public static WireMap Read(ReadOnlyMemory<byte> data)
    {
        var reader = new CborReader(data, CborConformanceMode.Strict);
        try
        {
            if (reader.PeekState() != CborReaderState.StartMap)
            {
                throw new SignalingProtocolException("A message must be a CBOR map.");
            }

            var map = ReadMap(reader, 1);
            if (reader.BytesRemaining != 0)
            {
                throw new SignalingProtocolException("Trailing data after the CBOR map.");
            }

            return map;
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or OverflowException)
        {
            throw new SignalingProtocolException("Malformed CBOR: " + e.Message, e);
        }
    }

    // One writer per thread, reset for each message, so its buffer is allocated once instead of per message.
    [ThreadStatic]
    private static CborWriter? t_writer;

    public static void Write(WireMap map, IBufferWriter<byte> output)
    {
        var writer = t_writer ??= new CborWriter(CborConformanceMode.Strict);
        writer.Reset();
        WriteValue(writer, map);
        var length = writer.Encode(output.GetSpan(writer.BytesWritten));
        output.Advance(length);
    }

    /// <summary>The next text string; a field name, type or kind without allocating.</summary>
    private static string ReadTextString(CborReader reader)
    {
        Span<char> text = stackalloc char[WireNames.MaxInternedLength];
        return reader.TryReadTextString(text, out var length) ? WireNames.Intern(text[..length]) : reader.ReadTextString();
    }

    private static WireMap ReadMap(CborReader reader, int depth)
    {
        CheckDepth(depth);
        var count = reader.ReadStartMap();
        if (count > WireMap.MaxEntries)
        {
            throw new SignalingProtocolException("Map too large.");
        }

        var map = WireMaps.Next();
        while (reader.PeekState() != CborReaderState.EndMap)
        {
            if (reader.PeekState() != CborReaderState.TextString)
            {
                throw new SignalingProtocolException("Map keys must be text strings.");
            }

            var key = ReadTextString(reader);
            var value = ReadValue(reader, depth);
            if (value is not null)
            {
                map.AddDecoded(key, value);
            }
        }

        reader.ReadEndMap();
        return map;
    }

    private static object? ReadValue(CborReader reader, int depth)
    {
        switch (reader.PeekState())
        {
            case CborReaderState.TextString:
                return ReadTextString(reader);
            case CborReaderState.UnsignedInteger:
            case CborReaderState.NegativeInteger:
                return WireMap.Box(reader.ReadInt64());
            case CborReaderState.Boolean:
                return reader.ReadBoolean();
            case CborReaderState.Null:
                reader.ReadNull();
                return null;
            case CborReaderState.StartMap:
                return ReadMap(reader, depth + 1);
            case CborReaderState.StartArray:
                CheckDepth(depth + 1);
                var count = reader.ReadStartArray();
                if (count > WireMap.MaxEntries)
                {
                    throw new SignalingProtocolException("Array too long.");
                }

                var list = new List<object?>();
                while (reader.PeekState() != CborReaderState.EndArray)
                {
                    if (list.Count == WireMap.MaxEntries)
                    {
                        throw new SignalingProtocolException("Array too long.");
                    }

                    list.Add(ReadValue(reader, depth + 1));
                }

                reader.ReadEndArray();
                return list;
            default:
                throw new SignalingProtocolException($"Unsupported CBOR item {reader.PeekState()}.");
        }
    }

    private static void CheckDepth(int depth)
    {
        if (depth > WireMap.MaxDepth)
        {
            throw new SignalingProtocolException("Nesting too deep.");
        }
    }

    private static void WriteValue(CborWriter writer, object value)
    {
        switch (value)
        {
            case string text:
                writer.WriteTextString(text);
                break;
            case long number:
                writer.WriteInt64(number);
                break;
            case bool flag:
                writer.WriteBoolean(flag);
                break;
            case WireMap map:
                writer.WriteStartMap(map.Count);
                for (var i = 0; i < map.Count; i++)
                {
                    var entry = map.Entries[i];
                    writer.WriteTextString(entry.Key);
                    WriteValue(writer, entry.Value);
                }

                writer.WriteEndMap();
                break;
            case List<object?> list:
                writer.WriteStartArray(list.Count);
                foreach (var item in list)
                {
                    WriteValue(writer, item!);
                }

                writer.WriteEndArray();
                break;
            default:
                throw new InvalidOperationException($"No CBOR form for {value.GetType()}.");
        }
    }
}
