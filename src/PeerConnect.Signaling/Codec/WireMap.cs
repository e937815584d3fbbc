namespace PeerConnect.Signaling.Codec;

/// <summary>
/// The encoding-neutral shape of a message: string keys in order, values that are <see cref="string"/>,
/// <see cref="long"/>, <see cref="bool"/>, <see cref="WireMap"/> or <see cref="List{T}"/> of those. JSON and CBOR
/// both read into it and write from it, so the two encodings cannot drift apart.
/// </summary>
internal sealed class WireMap
{
    /// <summary>Deepest nesting either decoder accepts; real messages nest three levels.</summary>
    public const int MaxDepth = 8;

    /// <summary>Most entries in one map or array either decoder accepts.</summary>
    public const int MaxEntries = 4096;

    private static readonly object[] SmallNumbers = [.. Enumerable.Range(0, 256).Select(static n => (object)(long)n)];

    // Room for a signal's fields without growing; a larger message grows once.
    private readonly List<KeyValuePair<string, object>> _entries = new(8);

    public int Count => _entries.Count;

    public IReadOnlyList<KeyValuePair<string, object>> Entries => _entries;

    /// <summary>Adds a number; <see langword="null"/> means "absent" and adds nothing.</summary>
    public WireMap Add(string key, long? value) => value is { } number ? Add(key, Box(number)) : this;

    /// <summary>
    /// A number as a map value: the small ones (m-line indexes, early sequence numbers) from a shared set of boxes,
    /// as a relayed signal's writer and reader would otherwise box each anew.
    /// </summary>
    public static object Box(long number) => (ulong)number < (ulong)SmallNumbers.Length ? SmallNumbers[number] : number;

    /// <summary>Adds an entry; a <see langword="null"/> value means "absent" and adds nothing.</summary>
    public WireMap Add(string key, object? value)
    {
        if (value is not null)
        {
            _entries.Add(new(key, value));
        }

        return this;
    }

    /// <summary>Adds a decoded entry, refusing duplicate keys (RFC 8949 section 5.6 leaves them invalid; JSON is ambiguous).</summary>
    public void AddDecoded(string key, object value)
    {
        if (TryGet(key, out _))
        {
            throw new SignalingProtocolException($"Duplicate field '{key}'.");
        }

        if (_entries.Count == MaxEntries)
        {
            throw new SignalingProtocolException("Too many fields.");
        }

        _entries.Add(new(key, value));
    }

    /// <summary>Empties the map for reuse (<see cref="WireMaps"/>); one grown by a large message shrinks back.</summary>
    public void Reset()
    {
        _entries.Clear();
        if (_entries.Capacity > 64)
        {
            _entries.Capacity = 8;
        }
    }

    public bool TryGet(string key, out object? value)
    {
        foreach (var entry in _entries)
        {
            if (entry.Key == key)
            {
                value = entry.Value;
                return true;
            }
        }

        value = null;
        return false;
    }
}
