namespace PeerConnect.Signaling.Codec;

/// <summary>
/// Reuses the <see cref="WireMap"/>s of one encode or decode on the current thread. A message's maps live only until
/// its bytes are written or its record is built, yet new ones were a third of what a relayed signal allocated.
/// </summary>
internal static class WireMaps
{
    /// <summary>Maps a thread keeps between messages; a message with more gets new ones for the rest.</summary>
    private const int Kept = 32;

    [ThreadStatic]
    private static List<WireMap>? t_maps;

    [ThreadStatic]
    private static int t_used;

    [ThreadStatic]
    private static bool t_open;

    /// <summary>A map from this thread's pool while a <see cref="Open"/> scope is open on it, else a new one.</summary>
    public static WireMap Next()
    {
        if (!t_open)
        {
            return new WireMap();
        }

        var maps = t_maps ??= [];
        if (t_used == maps.Count)
        {
            if (maps.Count == Kept)
            {
                return new WireMap();
            }

            maps.Add(new WireMap());
        }

        return maps[t_used++];
    }

    /// <summary>
    /// Hands out pooled maps on this thread until the scope is disposed, which empties them for the next message. A
    /// scope opened inside another changes nothing: the outer one empties them all.
    /// </summary>
    public static Scope Open()
    {
        if (t_open)
        {
            return default;
        }

        t_open = true;
        return new Scope(owner: true);
    }

    /// <summary>Ends what <see cref="Open"/> began.</summary>
    internal readonly struct Scope(bool owner) : IDisposable
    {
        public void Dispose()
        {
            if (!owner)
            {
                return;
            }

            var maps = t_maps;
            for (var i = 0; i < t_used; i++)
            {
                maps![i].Reset();
            }

            t_used = 0;
            t_open = false;
        }
    }
}
