using System.Net.Sockets;

namespace PeerConnect.Server.Signaling;

/// <summary>
/// The stream under a listener connection's WebSocket, owning its socket. Reads wait asynchronously, as
/// <see cref="NetworkStream"/>'s do. Writes first hand the bytes to the kernel without waiting (the socket is
/// non-blocking), which nearly always takes a whole signaling frame; only what does not fit waits asynchronously. A socket
/// keeps one cached asynchronous operation per direction once it has used it (about 360 bytes each): a connection whose
/// writes all fit never gets the send one, and a write completes on the writer's thread with no completion to dispatch.
/// </summary>
internal sealed class ListenerSocketStream : Stream
{
    private readonly Socket _socket;

    /// <summary>Takes ownership of <paramref name="socket"/>, which <see cref="PrepareSocket"/> has made non-blocking.</summary>
    public ListenerSocketStream(Socket socket) => _socket = socket;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Makes a freshly accepted socket fit for <see cref="SendAsync"/> and this stream.</summary>
    public static void PrepareSocket(Socket socket)
    {
        socket.NoDelay = true;
        socket.Blocking = false;
    }

    /// <summary>Sends all of <paramref name="data"/>: at once what the kernel takes, the rest asynchronously.</summary>
    public static ValueTask SendAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var sent = socket.Send(data.Span, SocketFlags.None, out var error);
        if (error == SocketError.Success && sent == data.Length)
        {
            return ValueTask.CompletedTask;
        }

        if (error is not (SocketError.Success or SocketError.WouldBlock))
        {
            return ValueTask.FromException(new SocketException((int)error));
        }

        return SendRestAsync(socket, data[Math.Max(sent, 0)..], cancellationToken);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        SendAsync(_socket, buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Asynchronous reads only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Asynchronous writes only.");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _socket.Dispose();
        }

        base.Dispose(disposing);
    }

    private static async ValueTask SendRestAsync(Socket socket, ReadOnlyMemory<byte> rest, CancellationToken cancellationToken)
    {
        while (!rest.IsEmpty)
        {
            rest = rest[await socket.SendAsync(rest, SocketFlags.None, cancellationToken).ConfigureAwait(false)..];
        }
    }
}
