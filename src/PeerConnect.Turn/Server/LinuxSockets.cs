using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PeerConnect.Turn.Server;

/// <summary>
/// The few Linux calls the relay receive threads (and the signaling listener's readiness thread) need that .NET does
/// not expose without an exception or a completion per datagram: epoll(7) readiness over many sockets, and recvfrom(2)
/// with MSG_DONTWAIT, which answers "nothing more" with EAGAIN instead of a thrown
/// <see cref="System.Net.Sockets.SocketException"/>.
/// </summary>
internal static unsafe partial class LinuxSockets
{
    private const string Libc = "libc";

    /// <summary><c>EPOLL_CLOEXEC</c> (sys/epoll.h).</summary>
    public const int EpollCloexec = 0x80000;

    /// <summary><c>EPOLL_CTL_ADD</c>, <c>EPOLL_CTL_DEL</c> (sys/epoll.h).</summary>
    public const int EpollCtlAdd = 1;

    /// <inheritdoc cref="EpollCtlAdd"/>
    public const int EpollCtlDel = 2;

    /// <summary><c>EPOLL_CTL_MOD</c> (sys/epoll.h): re-arms a descriptor already in the set.</summary>
    public const int EpollCtlMod = 3;

    /// <summary><c>EPOLLIN</c> (sys/epoll.h): level-triggered readability.</summary>
    public const uint EpollIn = 0x001;

    /// <summary><c>EPOLLRDHUP</c> (sys/epoll.h): the peer shut down its writing side.</summary>
    public const uint EpollRdHup = 0x2000;

    /// <summary><c>EPOLLONESHOT</c> (sys/epoll.h): report once, then stay disabled until re-armed with EPOLL_CTL_MOD.</summary>
    public const uint EpollOneShot = 1u << 30;

    /// <summary><c>MSG_DONTWAIT</c> (bits/socket.h): this call alone is non-blocking.</summary>
    public const int MsgDontWait = 0x40;

    /// <summary><c>MSG_NOSIGNAL</c> (bits/socket.h): writing to a connection the peer closed fails with EPIPE rather than raising SIGPIPE.</summary>
    public const int MsgNoSignal = 0x4000;

    /// <summary><c>MSG_TRUNC</c> (bits/socket.h): on a datagram socket, return the real length even when it did not fit.</summary>
    public const int MsgTrunc = 0x20;

    /// <summary><c>EINTR</c>, <c>EAGAIN</c> (asm-generic/errno-base.h; EWOULDBLOCK is the same value).</summary>
    public const int EIntr = 4;

    /// <inheritdoc cref="EIntr"/>
    public const int EAgain = 11;

    /// <summary>
    /// struct epoll_event is { uint32 events; uint64 data; }, packed on x86-64 (12 bytes, data at 4) and naturally
    /// aligned elsewhere (16 bytes, data at 8); only the two 64-bit layouts in use are supported.
    /// </summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>Bytes per struct epoll_event on this architecture.</summary>
    public static int EpollEventSize => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    /// <summary>Offset of the data field in struct epoll_event.</summary>
    public static int EpollDataOffset => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    [LibraryImport(Libc, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport(Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epfd, int op, int fd, byte* epollEvent);

    [LibraryImport(Libc, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epfd, byte* events, int maxEvents, int timeoutMilliseconds);

    [LibraryImport(Libc, EntryPoint = "recvfrom", SetLastError = true)]
    public static partial nint RecvFrom(int fd, byte* buffer, nuint length, int flags, byte* address, int* addressLength);

    [LibraryImport(Libc, EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>
    /// The <see cref="SocketError"/> a failed stream-socket call's errno (asm-generic/errno.h) stands for, as .NET's own
    /// calls would report it.
    /// </summary>
    public static SocketError ToSocketError(int errno) => errno switch
    {
        EAgain => SocketError.WouldBlock,
        9 => SocketError.OperationAborted, // EBADF
        32 => SocketError.Shutdown, // EPIPE
        101 => SocketError.NetworkUnreachable, // ENETUNREACH
        103 => SocketError.ConnectionAborted, // ECONNABORTED
        104 => SocketError.ConnectionReset, // ECONNRESET
        105 or 12 => SocketError.NoBufferSpaceAvailable, // ENOBUFS, ENOMEM
        107 => SocketError.NotConnected, // ENOTCONN
        108 => SocketError.Shutdown, // ESHUTDOWN
        110 => SocketError.TimedOut, // ETIMEDOUT
        113 => SocketError.HostUnreachable, // EHOSTUNREACH
        _ => SocketError.SocketError,
    };
}
