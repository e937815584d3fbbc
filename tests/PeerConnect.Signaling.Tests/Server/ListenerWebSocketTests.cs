using System.Net;
using System.Net.Sockets;
using PeerConnect.Server.Signaling;

namespace PeerConnect.Signaling.Tests.Server;

public sealed class ListenerSocketStreamTests
{
    [Fact]
    public async Task WriteLargerThanTheSendBufferArrivesWholeAndInOrder()
    {
        var (server, client) = await ConnectedPairAsync();
        using var stream = new ListenerSocketStream(server);
        using var reader = client;
        var payload = new byte[8 * 1024 * 1024];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)(i * 31 + (i >> 8));
        }

        // The reader starts late, so the kernel buffers fill and the rest of the write has to wait for room.
        var write = stream.WriteAsync(payload).AsTask();
        await Task.Delay(100);
        Assert.False(write.IsCompleted);
        var received = new byte[payload.Length];
        var total = 0;
        while (total < received.Length)
        {
            var n = await reader.ReceiveAsync(received.AsMemory(total), SocketFlags.None);
            Assert.NotEqual(0, n);
            total += n;
        }

        await write.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(payload, received);
    }

    [Fact]
    public async Task SmallWriteCompletesAtOnceAndReadsGetWhatThePeerSent()
    {
        var (server, client) = await ConnectedPairAsync();
        using var stream = new ListenerSocketStream(server);
        using var peer = client;

        Assert.True(stream.WriteAsync("hello"u8.ToArray()).IsCompletedSuccessfully);
        var buffer = new byte[16];
        Assert.Equal(5, await peer.ReceiveAsync(buffer, SocketFlags.None));
        Assert.Equal("hello"u8.ToArray(), buffer[..5]);

        await peer.SendAsync("back"u8.ToArray(), SocketFlags.None);
        Assert.Equal(4, await stream.ReadAsync(buffer));
        Assert.Equal("back"u8.ToArray(), buffer[..4]);
    }

    [Fact]
    public async Task WriteToAResetConnectionFailsWithTheSocketError()
    {
        var (server, client) = await ConnectedPairAsync();
        using var stream = new ListenerSocketStream(server);
        client.LingerState = new LingerOption(true, 0);
        client.Dispose();
        await Task.Delay(50);

        var error = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                await stream.WriteAsync(new byte[1024]);
            }
        });
        Assert.Contains(error.SocketErrorCode, new[] { SocketError.ConnectionReset, SocketError.Shutdown, SocketError.ConnectionAborted });
    }

    private static async Task<(Socket Server, Socket Client)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        var server = await listener.AcceptAsync();
        ListenerSocketStream.PrepareSocket(server);
        return (server, client);
    }
}
