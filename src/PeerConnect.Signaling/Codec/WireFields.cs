namespace PeerConnect.Signaling.Codec;

/// <summary>Typed, bounded field access on a decoded <see cref="WireMap"/>; every failure is a <see cref="SignalingProtocolException"/>.</summary>
internal readonly struct WireFields(WireMap map, long? requestId)
{
    public const int MaxIdLength = 64;
    public const int MaxRoomLength = 128;
    public const int MaxNameLength = 128;
    public const int MaxMetadataEntries = 16;
    public const int MaxMetadataKeyLength = 64;
    public const int MaxMetadataValueLength = 1024;

    private WireMap Map => map;

    public SignalingProtocolException Fail(string message) => new(message) { RequestId = requestId };

    public string RequiredString(string key, int maxLength = int.MaxValue) =>
        OptionalString(key, maxLength) ?? throw Fail($"Field '{key}' is required.");

    public string? OptionalString(string key, int maxLength = int.MaxValue)
    {
        if (!map.TryGet(key, out var value))
        {
            return null;
        }

        if (value is not string text)
        {
            throw Fail($"Field '{key}' must be a string.");
        }

        if (text.Length > maxLength)
        {
            throw Fail($"Field '{key}' is longer than {maxLength} characters.");
        }

        return text;
    }

    public long RequiredLong(string key) => OptionalLong(key) ?? throw Fail($"Field '{key}' is required.");

    public long? OptionalLong(string key, long min = 0, long max = long.MaxValue)
    {
        if (!map.TryGet(key, out var value))
        {
            return null;
        }

        if (value is not long number || number < min || number > max)
        {
            throw Fail($"Field '{key}' must be an integer from {min} to {max}.");
        }

        return number;
    }

    public bool RequiredBool(string key)
    {
        if (!map.TryGet(key, out var value))
        {
            throw Fail($"Field '{key}' is required.");
        }

        return value as bool? ?? throw Fail($"Field '{key}' must be a boolean.");
    }

    public WireFields? OptionalMap(string key)
    {
        if (!map.TryGet(key, out var value))
        {
            return null;
        }

        return value is WireMap inner ? new WireFields(inner, requestId) : throw Fail($"Field '{key}' must be a map.");
    }

    public WireFields RequiredMap(string key) => OptionalMap(key) ?? throw Fail($"Field '{key}' is required.");

    public List<object?> RequiredList(string key)
    {
        if (!map.TryGet(key, out var value))
        {
            throw Fail($"Field '{key}' is required.");
        }

        return value as List<object?> ?? throw Fail($"Field '{key}' must be an array.");
    }

    public IReadOnlyList<WireFields> RequiredMapList(string key)
    {
        var list = RequiredList(key);
        var result = new List<WireFields>(list.Count);
        foreach (var item in list)
        {
            result.Add(item is WireMap inner ? new WireFields(inner, requestId) : throw Fail($"Items of '{key}' must be maps."));
        }

        return result;
    }

    public IReadOnlyList<string> RequiredStringList(string key)
    {
        var list = RequiredList(key);
        var result = new List<string>(list.Count);
        foreach (var item in list)
        {
            result.Add(item as string ?? throw Fail($"Items of '{key}' must be strings."));
        }

        return result;
    }

    public IReadOnlyDictionary<string, string>? OptionalMetadata(string key)
    {
        var inner = OptionalMap(key);
        if (inner is null)
        {
            return null;
        }

        var entries = inner.Value.Map.Entries;
        if (entries.Count > MaxMetadataEntries)
        {
            throw Fail($"Field '{key}' has more than {MaxMetadataEntries} entries.");
        }

        var result = new Dictionary<string, string>(entries.Count, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry.Key.Length > MaxMetadataKeyLength || entry.Value is not string text || text.Length > MaxMetadataValueLength)
            {
                throw Fail($"Field '{key}' must map keys of at most {MaxMetadataKeyLength} characters to strings of at most {MaxMetadataValueLength}.");
            }

            result.Add(entry.Key, text);
        }

        return result;
    }

    /// <summary>Room ids: 1–128 characters from A–Z a–z 0–9 - _ . ~ : (safe in URLs, logs and Redis keys).</summary>
    public string RequiredRoom(string key)
    {
        var room = RequiredString(key, MaxRoomLength);
        if (room.Length == 0)
        {
            throw Fail($"Field '{key}' must not be empty.");
        }

        foreach (var c in room)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.' or '~' or ':'))
            {
                throw Fail($"Field '{key}' may only contain A-Z a-z 0-9 - _ . ~ :");
            }
        }

        return room;
    }
}
