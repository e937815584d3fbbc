using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using PeerConnect.Turn.Server;

namespace PeerConnect.Server.Signaling;

/// <summary>
/// One accepted socket of the WebSocket listener: reads and writes that never wait, and
/// <see cref="WaitReadableAsync"/>, which completes when the socket has something to read (or was hung up). Owns the
/// socket: <see cref="Close"/> stops watching it, closes it and fails a pending wait.
/// </summary>
/// <remarks>
/// With a <see cref="ListenerReadiness"/> (Linux) the socket stays in the runtime's blocking mode and is read and
/// written with MSG_DONTWAIT calls of our own, waited on by the readiness thread: the runtime never creates its
/// asynchronous context for it (152 bytes and three lock objects, 72 more, per idle connection), except for the rest
/// of a write the kernel would not take at once. Without one the socket is made non-blocking, read and written
/// through <see cref="System.Net.Sockets.Socket"/>, and waited on with a zero-byte receive.
/// </remarks>
internal sealed class ListenerSocket : IValueTaskSource<int>
{
    private readonly ListenerReadiness? _readiness;
    private ManualResetValueTaskSourceCore<int> _completion;
    private int _waiting;
    private bool _armed;
    private int _closed;

    public ListenerSocket(Socket socket, ListenerReadiness? readiness = null, int slot = -1, uint generation = 0)
    {
        Socket = socket;
        _readiness = readiness;
        Slot = slot;
        Generation = generation;
    }

    public Socket Socket { get; }

    internal int Slot { get; }

    internal uint Generation { get; }

    /// <summary>Sets the socket up for the calls below; once, before any of them.</summary>
    public void Prepare()
    {
        Socket.NoDelay = true;
        if (_readiness is null)
        {
            Socket.Blocking = false;
        }
    }

    /// <summary>Reads what the socket has without waiting: the count (0 at end of stream), or 0 with <see cref="SocketError.WouldBlock"/>.</summary>
    public int Receive(Span<byte> into, out SocketError error) =>
        _readiness is null
            ? Socket.Receive(into, SocketFlags.None, out error)
            : Transfer(ref MemoryMarshal.GetReference(into), into.Length, send: false, out error);

    /// <summary>Writes what the kernel takes without waiting: the count, or 0 with <see cref="SocketError.WouldBlock"/>.</summary>
    public int Send(ReadOnlySpan<byte> data, out SocketError error) =>
        _readiness is null
            ? Socket.Send(data, SocketFlags.None, out error)
            : Transfer(ref MemoryMarshal.GetReference(data), data.Length, send: true, out error);

    /// <summary>Sends all of <paramref name="data"/>: at once what the kernel takes, the rest asynchronously.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var sent = Send(data.Span, out var error);
        if (error == SocketError.Success && sent == data.Length)
        {
            return ValueTask.CompletedTask;
        }

        if (error is not (SocketError.Success or SocketError.WouldBlock))
        {
            return ValueTask.FromException(new SocketException((int)error));
        }

        return SendRestAsync(data[sent..], cancellationToken);
    }

    /// <summary>
    /// Waits until the socket has something to read; the result carries no meaning. A cancellable wait (the listener's
    /// own never are: its connections end by <see cref="Close"/>) goes through a zero-byte receive, which honours it.
    /// </summary>
    public ValueTask<int> WaitReadableAsync(CancellationToken cancellationToken = default)
    {
        if (_readiness is null || cancellationToken.CanBeCanceled)
        {
            return Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken);
        }

        _completion.Reset();
        Volatile.Write(ref _waiting, 1);
        var first = !_armed;
        _armed = true;
        if (Volatile.Read(ref _closed) != 0 || !_readiness.Arm(this, first))
        {
            if (Interlocked.Exchange(ref _waiting, 0) == 1)
            {
                return ValueTask.FromException<int>(new ObjectDisposedException(nameof(System.Net.Sockets.Socket)));
            }
        }

        return new ValueTask<int>(this, _completion.Version);
    }

    /// <summary>Stops watching the socket, closes it and fails a pending wait. Safe to call more than once.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _readiness?.Remove(this, _armed);
        Socket.Dispose();
        if (Interlocked.Exchange(ref _waiting, 0) == 1)
        {
            // Not on the closing thread, which may be the connection's own writer in the middle of its work: the
            // reader learns of the close on the thread pool, as it did from a disposed socket's receive.
            _completion.RunContinuationsAsynchronously = true;
            _completion.SetException(new ObjectDisposedException(nameof(System.Net.Sockets.Socket)));
        }
    }

    int IValueTaskSource<int>.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    /// <summary>From the readiness thread: the socket is readable.</summary>
    internal void Signal()
    {
        if (Interlocked.Exchange(ref _waiting, 0) == 1)
        {
            _completion.SetResult(0);
        }
    }

    /// <summary>recv(2) or send(2) with MSG_DONTWAIT, answering as <see cref="System.Net.Sockets.Socket"/>'s calls do.</summary>
    private unsafe int Transfer(ref byte buffer, int length, bool send, out SocketError error)
    {
        // The reference keeps the descriptor from being closed, and its number reused, during the call; a closed
        // socket throws ObjectDisposedException here, as the runtime's calls do.
        var handle = Socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            fixed (byte* data = &buffer)
            {
                while (true)
                {
                    var count = send
                        ? LinuxSockets.Send(fd, data, (nuint)length, LinuxSockets.MsgDontWait | LinuxSockets.MsgNoSignal)
                        : LinuxSockets.RecvFrom(fd, data, (nuint)length, LinuxSockets.MsgDontWait, null, null);
                    if (count >= 0)
                    {
                        error = SocketError.Success;
                        return (int)count;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    if (errno != LinuxSockets.EIntr)
                    {
                        error = LinuxSockets.ToSocketError(errno);
                        return 0;
                    }
                }
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private async ValueTask SendRestAsync(ReadOnlyMemory<byte> rest, CancellationToken cancellationToken)
    {
        while (!rest.IsEmpty)
        {
            rest = rest[await Socket.SendAsync(rest, SocketFlags.None, cancellationToken).ConfigureAwait(false)..];
        }
    }
}
