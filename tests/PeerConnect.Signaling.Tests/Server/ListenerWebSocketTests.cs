using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using PeerConnect.Server.Signaling;

namespace PeerConnect.Signaling.Tests.Server;

/// <summary>
/// The listener's RFC 6455 framing, driven by raw bytes from a client socket (every malformed case a client can
/// send) and by .NET's own <see cref="ClientWebSocket"/>; Chromium's WebSocket meets it in the browser tests.
/// </summary>
public sealed class ListenerWebSocketTests
{
    private static readonly byte[] RfcMask = [0x37, 0xfa, 0x21, 0x3d];

    /// <summary>The readiness thread the listener uses on Linux (null elsewhere: zero-byte receives).</summary>
    private static readonly ListenerReadiness? Readiness = ListenerReadiness.TryStart(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    [Fact]
    public async Task Rfc6455Section5_7_MaskedHelloIsReadAndTheServersHelloAndPongAreByteExact()
    {
        await using var pair = await Pair.ConnectAsync();

        // Section 5.7: "A single-frame masked text message".
        await pair.Client.SendAsync(new byte[] { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 }, SocketFlags.None);
        var (text, type) = await pair.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal("Hello", Encoding.UTF8.GetString(text));

        // "A single-frame unmasked text message", as a server sends it.
        await pair.Server.SendAsync("Hello"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        Assert.Equal(new byte[] { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f }, await pair.ReadClientAsync(7));

        // A ping (the example's "Hello" body, masked as a client must) is answered by an unmasked pong with that body.
        await pair.Client.SendAsync(Masked(0x9, true, "Hello"u8.ToArray()), SocketFlags.None);
        await pair.Client.SendAsync(Masked(0x2, true, [1, 2, 3]), SocketFlags.None);
        var (binary, binaryType) = await pair.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Binary, binaryType);
        Assert.Equal(new byte[] { 1, 2, 3 }, binary);
        Assert.Equal(new byte[] { 0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f }, await pair.ReadClientAsync(7));
    }

    [Theory]
    [InlineData(125, 2)]
    [InlineData(256, 4)]
    [InlineData(65536, 10)]
    public async Task PayloadLengthsUseTheSevenSixteenAndSixtyFourBitForms(int length, int headerLength)
    {
        await using var pair = await Pair.ConnectAsync();
        var payload = Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();

        await pair.Client.SendAsync(Masked(0x2, true, payload), SocketFlags.None);
        Assert.Equal(payload, (await pair.ReceiveMessageAsync()).Data);

        var send = pair.Server.SendAsync(payload.AsMemory(), WebSocketMessageType.Binary, true, CancellationToken.None).AsTask();
        var frame = await pair.ReadClientAsync(headerLength + length);
        await send;
        Assert.Equal(0x82, frame[0]);
        var declared = headerLength switch
        {
            2 => frame[1],
            4 => BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(2)),
            _ => (long)BinaryPrimitives.ReadUInt64BigEndian(frame.AsSpan(2)),
        };
        Assert.Equal(headerLength switch { 2 => length, 4 => 126, _ => 127 }, frame[1] & 0x7f);
        Assert.Equal(length, declared);
        Assert.Equal(payload, frame[headerLength..]);
    }

    [Fact]
    public async Task AFragmentedTextMessageWithAPingBetweenFragmentsArrivesWholeInSmallReads()
    {
        await using var pair = await Pair.ConnectAsync();
        var text = "signal é € 😀 " + new string('x', 300);
        var bytes = Encoding.UTF8.GetBytes(text);

        // Cut inside multi-byte characters on purpose; each fragment is a frame of its own (section 5.4).
        var frames = new List<byte[]>
        {
            Masked(0x1, false, bytes[..9]),
            Masked(0x9, true, "mid"u8.ToArray()),
            Masked(0x0, false, bytes[9..13]),
            Masked(0x0, false, []),
            Masked(0x0, true, bytes[13..]),
        };
        foreach (var frame in frames)
        {
            // Byte by byte: headers and payloads split at every point.
            foreach (var b in frame)
            {
                await pair.Client.SendAsync(new[] { b }, SocketFlags.None);
            }
        }

        var (data, type) = await pair.ReceiveMessageAsync(readSize: 5);
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal(text, Encoding.UTF8.GetString(data));
        Assert.Equal(new byte[] { 0x8a, 0x03, (byte)'m', (byte)'i', (byte)'d' }, await pair.ReadClientAsync(5));
    }

    [Fact]
    public async Task ZeroByteReceiveWaitsForTheNextFrameAndReportsItsType()
    {
        await using var pair = await Pair.ConnectAsync();
        var wait = pair.Server.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(wait.IsCompleted);

        await pair.Client.SendAsync(Masked(0x1, true, "{}"u8.ToArray()), SocketFlags.None);
        var first = await wait.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((0, WebSocketMessageType.Text, false), (first.Count, first.MessageType, first.EndOfMessage));
        var buffer = new byte[16];
        var rest = await pair.Server.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
        Assert.Equal((2, true), (rest.Count, rest.EndOfMessage));

        await pair.Client.SendAsync(Masked(0x2, true, []), SocketFlags.None);
        var empty = await pair.Server.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
        Assert.Equal((0, WebSocketMessageType.Binary, true), (empty.Count, empty.MessageType, empty.EndOfMessage));
    }

    [Fact]
    public async Task AbortFailsAPendingWaitAndTheClientSeesTheConnectionEnd()
    {
        await using var pair = await Pair.ConnectAsync();
        var wait = pair.Server.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(wait.IsCompleted);

        pair.Server.Abort();
        await Assert.ThrowsAnyAsync<ObjectDisposedException>(() => wait.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(WebSocketState.Aborted, pair.Server.State);
        Assert.Equal(0, await pair.Client.ReceiveAsync(new byte[8], SocketFlags.None));
    }

    [Fact]
    public async Task ACancelledWaitEndsWithItsToken()
    {
        await using var pair = await Pair.ConnectAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pair.Server.ReceiveAsync(Memory<byte>.Empty, cancel.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task ClientCloseIsReportedAndAnsweredThenTheStateIsClosed()
    {
        await using var pair = await Pair.ConnectAsync();
        await pair.Client.SendAsync(Masked(0x8, true, [0x03, 0xe8, .. "bye"u8]), SocketFlags.None);

        var result = await pair.Server.ReceiveAsync(new byte[16].AsMemory(), CancellationToken.None);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketState.CloseReceived, pair.Server.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, pair.Server.CloseStatus);
        Assert.Equal("bye", pair.Server.CloseStatusDescription);

        await pair.Server.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "ok", CancellationToken.None);
        Assert.Equal(WebSocketState.Closed, pair.Server.State);
        Assert.Equal(new byte[] { 0x88, 0x04, 0x03, 0xe8, (byte)'o', (byte)'k' }, await pair.ReadClientAsync(6));
    }

    [Fact]
    public async Task ServerCloseKeepsReadingUntilTheClientsCloseAndStopsSending()
    {
        await using var pair = await Pair.ConnectAsync();
        await pair.Server.CloseOutputAsync((WebSocketCloseStatus)4000, "idle", CancellationToken.None);
        Assert.Equal(WebSocketState.CloseSent, pair.Server.State);
        byte[] closeFrame = [0x88, 0x06, 0x0f, 0xa0, .. "idle"u8];
        Assert.Equal(closeFrame, await pair.ReadClientAsync(8));
        await Assert.ThrowsAsync<WebSocketException>(() => pair.Server.SendAsync("x"u8.ToArray().AsMemory(), WebSocketMessageType.Text, true, CancellationToken.None).AsTask());

        await pair.Client.SendAsync(Masked(0x1, true, "late"u8.ToArray()), SocketFlags.None);
        await pair.Client.SendAsync(Masked(0x9, true, []), SocketFlags.None);
        await pair.Client.SendAsync(Masked(0x8, true, []), SocketFlags.None);
        Assert.Equal("late", Encoding.UTF8.GetString((await pair.ReceiveMessageAsync()).Data));
        var close = await pair.Server.ReceiveAsync(new byte[8].AsMemory(), CancellationToken.None);
        Assert.Equal(WebSocketMessageType.Close, close.MessageType);
        Assert.Equal(WebSocketState.Closed, pair.Server.State);
        Assert.Equal(WebSocketCloseStatus.Empty, pair.Server.CloseStatus);

        // No pong after the close frame (section 5.5.1): the client reads end of stream once the server is gone.
        pair.Server.Dispose();
        Assert.Equal(0, await pair.Client.ReceiveAsync(new byte[8], SocketFlags.None));
    }

    public static TheoryData<string, byte[], int> ProtocolViolations() => new()
    {
        { "unmasked frame (5.1)", [0x81, 0x01, (byte)'a'], 1002 },
        { "RSV1 without an extension (5.2)", Masked(0x1 | 0x40, true, "a"u8.ToArray()), 1002 },
        { "unknown data opcode 3 (5.2)", Masked(0x3, true, []), 1002 },
        { "unknown control opcode 0xB (5.2)", Masked(0xB, true, []), 1002 },
        { "continuation without a message (5.4)", Masked(0x0, true, "a"u8.ToArray()), 1002 },
        { "new message inside a fragmented one (5.4)", [.. Masked(0x1, false, "a"u8.ToArray()), .. Masked(0x1, true, "b"u8.ToArray())], 1002 },
        { "fragmented ping (5.5)", Masked(0x9, false, []), 1002 },
        { "126-byte ping (5.5)", Masked(0x9, true, new byte[126]), 1002 },
        { "one-byte close body (5.5.1)", Masked(0x8, true, [0x03]), 1002 },
        { "close status 1005, never sent (7.4.1)", Masked(0x8, true, [0x03, 0xed]), 1002 },
        { "close status 999 (7.4.2)", Masked(0x8, true, [0x03, 0xe7]), 1002 },
        { "close status 2000, unassigned (7.4.2)", Masked(0x8, true, [0x07, 0xd0]), 1002 },
        { "64-bit length with the top bit set (5.2)", [0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4], 1002 },
        { "overlong UTF-8 (8.1)", Masked(0x1, true, [0xc0, 0xaf]), 1007 },
        { "UTF-16 surrogate in UTF-8 (8.1)", Masked(0x1, true, [0xed, 0xa0, 0x80]), 1007 },
        { "text ends inside a character (8.1)", Masked(0x1, true, [0x61, 0xe2, 0x82]), 1007 },
        { "fragments end inside a character (8.1)", [.. Masked(0x1, false, [0xf0, 0x9f]), .. Masked(0x0, true, [0x98])], 1007 },
        { "close reason not UTF-8 (5.5.1)", Masked(0x8, true, [0x03, 0xe8, 0xff]), 1007 },
    };

    [Theory]
    [MemberData(nameof(ProtocolViolations))]
    public async Task AProtocolViolationFailsTheConnectionWithItsCloseCode(string violation, byte[] bytes, int expectedCode)
    {
        await using var pair = await Pair.ConnectAsync();
        await pair.Client.SendAsync(bytes, SocketFlags.None);

        var error = await Assert.ThrowsAsync<WebSocketException>(async () =>
        {
            while ((await pair.Server.ReceiveAsync(new byte[64].AsMemory(), CancellationToken.None)).MessageType != WebSocketMessageType.Close)
            {
            }
        });
        Assert.Equal(WebSocketError.Faulted, error.WebSocketErrorCode);
        Assert.Equal(WebSocketState.Aborted, pair.Server.State);
        var close = await pair.ReadClientAsync(4);
        Assert.True(close[0] == 0x88 && close[1] == 2, violation);
        Assert.Equal(expectedCode, BinaryPrimitives.ReadUInt16BigEndian(close.AsSpan(2)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(8)]
    public async Task AConnectionThatEndsMidFrameFailsAsClosedPrematurely(int cut)
    {
        await using var pair = await Pair.ConnectAsync();
        var frame = Masked(0x2, true, new byte[] { 1, 2, 3, 4, 5 });
        await pair.Client.SendAsync(frame.AsMemory(0, cut), SocketFlags.None);
        pair.Client.Shutdown(SocketShutdown.Send);

        var error = await Assert.ThrowsAsync<WebSocketException>(async () =>
        {
            while (true)
            {
                await pair.Server.ReceiveAsync(new byte[64].AsMemory(), CancellationToken.None);
            }
        });
        Assert.Equal(WebSocketError.ConnectionClosedPrematurely, error.WebSocketErrorCode);
    }

    [Fact]
    public async Task AHugeDeclaredLengthIsReadInTheCallersBufferWithoutAllocatingForIt()
    {
        await using var pair = await Pair.ConnectAsync();
        var header = new byte[] { 0x82, 0xff, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0 };
        await pair.Client.SendAsync(header, SocketFlags.None);
        await pair.Client.SendAsync(new byte[1000], SocketFlags.None);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var buffer = new byte[100];
        var total = 0;
        while (total < 1000)
        {
            var result = await pair.Server.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            Assert.False(result.EndOfMessage);
            total += result.Count;
        }

        Assert.Equal(1000, total);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024);
    }

    [Fact]
    public async Task RandomBytesNeverCrashTheReaderOnlyFailIt()
    {
        var random = new Random(6455);
        for (var run = 0; run < 300; run++)
        {
            await using var pair = await Pair.ConnectAsync();
            byte[] noise;
            if (run % 2 == 0)
            {
                noise = new byte[random.Next(2, 200)];
                random.NextBytes(noise);
                noise[1] |= 0x80; // masked, so the parser goes past the mask check
            }
            else
            {
                // Valid frames with a few bytes changed and the end cut off somewhere.
                noise = [.. Masked(0x1, false, "é{\"a\":1}"u8.ToArray()), .. Masked(0x9, true, [1, 2]), .. Masked(0x0, true, new byte[300]), .. Masked(0x8, true, [0x03, 0xe8])];
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    noise[random.Next(noise.Length)] ^= (byte)random.Next(1, 256);
                }

                noise = noise[..random.Next(1, noise.Length + 1)];
            }

            await pair.Client.SendAsync(noise, SocketFlags.None);
            pair.Client.Shutdown(SocketShutdown.Send);
            var read = Task.Run(async () =>
            {
                var buffer = new byte[64];
                while (pair.Server.State is WebSocketState.Open or WebSocketState.CloseSent
                    && (await pair.Server.ReceiveAsync(buffer.AsMemory(), CancellationToken.None)).MessageType != WebSocketMessageType.Close)
                {
                }
            });
            try
            {
                await read.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (WebSocketException)
            {
            }
        }
    }

    [Fact]
    public async Task DotNetsClientWebSocketExchangesFragmentedMessagesAndClosesCleanly()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        using var client = new ClientWebSocket();
        var connect = client.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws"), CancellationToken.None);
        using var serverSocket = await listener.AcceptAsync();
        var head = new byte[4096];
        var headLength = 0;
        while (!Encoding.ASCII.GetString(head, 0, headLength).Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            headLength += await serverSocket.ReceiveAsync(head.AsMemory(headLength), SocketFlags.None);
        }

        var key = Encoding.ASCII.GetString(head, 0, headLength).Split("\r\n").First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))[18..].Trim();
        var serverConnection = Readiness?.Add(serverSocket) ?? new ListenerSocket(serverSocket);
        serverConnection.Prepare();
        await serverConnection.SendAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {WebSocketUpgradeRequest.AcceptFor(key)}\r\n\r\n"));
        await connect;
        using var server = new ListenerWebSocket(serverConnection, null);

        var big = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("ünïcödé ", 20_000)));
        await client.SendAsync(big.AsMemory(0, 70_001), WebSocketMessageType.Text, false, CancellationToken.None);
        await client.SendAsync(big.AsMemory(70_001), WebSocketMessageType.Text, true, CancellationToken.None);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        ValueWebSocketReceiveResult result;
        do
        {
            result = await server.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            received.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        Assert.Equal(big, received.ToArray());

        await server.SendAsync(big.AsMemory(0, 3), WebSocketMessageType.Binary, false, CancellationToken.None);
        await server.SendAsync(big.AsMemory(3, 100_000), WebSocketMessageType.Binary, true, CancellationToken.None);
        var echoed = new MemoryStream();
        do
        {
            result = await client.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            echoed.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        Assert.Equal(WebSocketMessageType.Binary, result.MessageType);
        Assert.Equal(big[..100_003], echoed.ToArray());

        var clientClose = client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        Assert.Equal(WebSocketMessageType.Close, (await server.ReceiveAsync(buffer.AsMemory(), CancellationToken.None)).MessageType);
        Assert.Equal("done", server.CloseStatusDescription);
        await server.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        await clientClose.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(WebSocketState.Closed, client.State);
        Assert.Equal(WebSocketState.Closed, server.State);
    }

    [Fact]
    public async Task AFrameLargerThanTheSendBufferArrivesWholeAndAPongWaitsBehindIt()
    {
        await using var pair = await Pair.ConnectAsync();
        var payload = new byte[8 * 1024 * 1024];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)(i * 31 + (i >> 8));
        }

        // The client reads late, so the kernel buffers fill and the rest of the frame has to wait for room; a ping
        // answered meanwhile must not cut into it.
        var send = pair.Server.SendAsync(payload.AsMemory(), WebSocketMessageType.Binary, true, CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(send.IsCompleted);
        await pair.Client.SendAsync(Masked(0x9, true, "p"u8.ToArray()), SocketFlags.None);
        await pair.Client.SendAsync(Masked(0x2, true, [9]), SocketFlags.None);
        var reader = pair.ReceiveMessageAsync();

        var frame = await pair.ReadClientAsync(10 + payload.Length + 3);
        await send.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(payload, frame[10..^3]);
        Assert.Equal(new byte[] { 0x8a, 0x01, (byte)'p' }, frame[^3..]);
        Assert.Equal(new byte[] { 9 }, (await reader).Data);
    }

    [Fact]
    public async Task SendToAResetConnectionFailsWithTheSocketError()
    {
        await using var pair = await Pair.ConnectAsync();
        pair.Client.LingerState = new LingerOption(true, 0);
        pair.Client.Dispose();
        await Task.Delay(50);

        var error = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                await pair.ServerSocket.SendAsync(new byte[1024]);
            }
        });
        Assert.Contains(error.SocketErrorCode, new[] { SocketError.ConnectionReset, SocketError.Shutdown, SocketError.ConnectionAborted });
    }

    /// <summary>A client frame (section 5.2): masked with the section 5.7 example key.</summary>
    private static byte[] Masked(int opcode, bool final, byte[] payload)
    {
        var lengthBytes = payload.Length < 126 ? 0 : payload.Length <= ushort.MaxValue ? 2 : 8;
        var frame = new byte[2 + lengthBytes + 4 + payload.Length];
        frame[0] = (byte)((final ? 0x80 : 0) | opcode);
        frame[1] = (byte)(0x80 | (lengthBytes switch { 0 => payload.Length, 2 => 126, _ => 127 }));
        if (lengthBytes == 2)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
        }
        else if (lengthBytes == 8)
        {
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
        }

        RfcMask.CopyTo(frame, 2 + lengthBytes);
        for (var i = 0; i < payload.Length; i++)
        {
            frame[2 + lengthBytes + 4 + i] = (byte)(payload[i] ^ RfcMask[i % 4]);
        }

        return frame;
    }

    private sealed class Pair : IAsyncDisposable
    {
        private Pair(ListenerSocket serverSocket, Socket client)
        {
            ServerSocket = serverSocket;
            Client = client;
            Server = new ListenerWebSocket(serverSocket, null);
        }

        public ListenerSocket ServerSocket { get; }

        public Socket Client { get; }

        public ListenerWebSocket Server { get; }

        public static async Task<Pair> ConnectAsync()
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await client.ConnectAsync(listener.LocalEndPoint!);
            var accepted = await listener.AcceptAsync();
            var server = Readiness?.Add(accepted) ?? new ListenerSocket(accepted);
            server.Prepare();
            return new Pair(server, client);
        }

        public async Task<(byte[] Data, WebSocketMessageType Type)> ReceiveMessageAsync(int readSize = 4096)
        {
            var message = new MemoryStream();
            var buffer = new byte[readSize];
            ValueWebSocketReceiveResult result;
            do
            {
                result = await Server.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);
            return (message.ToArray(), result.MessageType);
        }

        public async Task<byte[]> ReadClientAsync(int count)
        {
            var bytes = new byte[count];
            var total = 0;
            while (total < count)
            {
                var n = await Client.ReceiveAsync(bytes.AsMemory(total), SocketFlags.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.NotEqual(0, n);
                total += n;
            }

            return bytes;
        }

        public ValueTask DisposeAsync()
        {
            Server.Dispose();
            Client.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
