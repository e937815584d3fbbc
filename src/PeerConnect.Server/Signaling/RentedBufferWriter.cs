using System.Buffers;

namespace PeerConnect.Server.Signaling;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over arrays rented from <see cref="ArrayPool{T}.Shared"/>, for one frame that
/// is encoded, sent and given back; disposing returns the array. <see cref="Rent"/> reuses the writer object too, one spare
/// per thread: every frame a server sends (a relayed signal, each connection's heartbeat) needs one.
/// </summary>
internal sealed class RentedBufferWriter : IBufferWriter<byte>, IDisposable
{
    [ThreadStatic]
    private static RentedBufferWriter? t_spare;

    private byte[] _buffer;
    private int _written;

    public RentedBufferWriter(int initialBytes) => _buffer = ArrayPool<byte>.Shared.Rent(initialBytes);

    /// <summary>
    /// A writer with room for <paramref name="initialBytes"/>: this thread's spare when it has one. Dispose it exactly
    /// once (a <c>using</c>): disposing makes it the spare of the disposing thread.
    /// </summary>
    public static RentedBufferWriter Rent(int initialBytes)
    {
        var writer = t_spare;
        if (writer is null)
        {
            return new RentedBufferWriter(initialBytes);
        }

        t_spare = null;
        writer._buffer = ArrayPool<byte>.Shared.Rent(initialBytes);
        return writer;
    }

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _written);
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        var start = Reserve(sizeHint);
        return _buffer.AsMemory(start);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        var start = Reserve(sizeHint);
        return _buffer.AsSpan(start);
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _written = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            t_spare ??= this;
        }
    }

    /// <summary>Makes room for <paramref name="sizeHint"/> more bytes (at least one), possibly in a new array; where they start.</summary>
    private int Reserve(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
            _buffer.AsSpan(0, _written).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        return _written;
    }
}
