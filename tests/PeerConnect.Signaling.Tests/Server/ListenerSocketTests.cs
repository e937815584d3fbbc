using System.Net;
using System.Net.Sockets;
using PeerConnect.Server.Signaling;

namespace PeerConnect.Signaling.Tests.Server;

/// <summary>
/// The listener's socket calls, which on Linux are recv/send with MSG_DONTWAIT of our own: they must answer as
/// <see cref="Socket"/>'s own non-blocking calls do (counts, would-block, end of stream, the peer's reset, a closed
/// socket), and a write larger than the kernel takes must arrive whole and in order.
/// </summary>
public sealed class ListenerSocketTests
{
    private static readonly ListenerReadiness? Readiness = ListenerReadiness.TryStart(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    [Fact]
    public async Task ReadsWhatArrivedSaysWouldBlockWhenNothingHasAndZeroAtEndOfStream()
    {
        using var connection = await ConnectAsync();
        var (server, client) = (connection.Server, connection.Client);
        var buffer = new byte[16];
        Assert.Equal(0, server.Receive(buffer, out var error));
        Assert.Equal(SocketError.WouldBlock, error);

        var wait = server.WaitReadableAsync().AsTask();
        await client.SendAsync("hello"u8.ToArray(), SocketFlags.None);
        await wait.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(5, server.Receive(buffer, out error));
        Assert.Equal(SocketError.Success, error);
        Assert.Equal("hello"u8.ToArray(), buffer[..5]);

        client.Shutdown(SocketShutdown.Send);
        await server.WaitReadableAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, server.Receive(buffer, out error));
        Assert.Equal(SocketError.Success, error);
    }

    [Fact]
    public async Task AWriteLargerThanTheKernelTakesArrivesWholeAndInOrder()
    {
        using var connection = await ConnectAsync();
        var (server, client) = (connection.Server, connection.Client);
        var data = new byte[8 << 20];
        new Random(6).NextBytes(data);
        var send = server.SendAsync(data).AsTask();
        Assert.False(send.IsCompleted);

        var received = new byte[data.Length];
        var total = 0;
        while (total < received.Length)
        {
            var n = await client.ReceiveAsync(received.AsMemory(total), SocketFlags.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.NotEqual(0, n);
            total += n;
        }

        await send.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(data, received);
    }

    [Fact]
    public async Task APeerResetIsReportedAsTheRuntimeReportsIt()
    {
        using var connection = await ConnectAsync();
        var (server, client) = (connection.Server, connection.Client);
        client.LingerState = new LingerOption(true, 0);
        client.Dispose();
        await server.WaitReadableAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, server.Receive(new byte[16], out var error));
        Assert.Equal(SocketError.ConnectionReset, error);
        server.Send(new byte[16], out error);
        Assert.Contains(error, new[] { SocketError.ConnectionReset, SocketError.Shutdown, SocketError.NotConnected });
    }

    [Fact]
    public async Task AfterCloseCallsFailAsOnADisposedSocketAndAPendingWaitEnds()
    {
        using var connection = await ConnectAsync();
        var server = connection.Server;
        var wait = server.WaitReadableAsync().AsTask();

        server.Close();
        server.Close();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => wait.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Throws<ObjectDisposedException>(() => server.Receive(new byte[16], out _));
        Assert.Throws<ObjectDisposedException>(() => server.Send(new byte[16], out _));
    }

    private static async Task<Connection> ConnectAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        var accepted = await listener.AcceptAsync();
        var server = Readiness?.Add(accepted) ?? new ListenerSocket(accepted);
        server.Prepare();
        return new Connection(server, client);
    }

    private sealed record Connection(ListenerSocket Server, Socket Client) : IDisposable
    {
        public void Dispose()
        {
            Server.Close();
            Client.Dispose();
        }
    }
}
