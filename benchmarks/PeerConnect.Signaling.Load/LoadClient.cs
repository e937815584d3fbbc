using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

/// <summary>
/// One load client speaking either the PeerConnect protocol (JSON) or the PeerJS server's, reduced to what a call
/// setup needs: identify, pair up, relay a signal to the partner, keep alive.
/// </summary>
internal sealed class LoadClient
{
    private readonly ClientWebSocket _socket;
    private readonly string _protocol;
    private readonly string _room;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sinceAck;
    private long _lastSeq;
    private Task _reading = Task.CompletedTask;

    private LoadClient(ClientWebSocket socket, string protocol, string id, string room)
    {
        _socket = socket;
        _protocol = protocol;
        Id = id;
        _room = room;
    }

    public string Id { get; private set; }

    public string? Partner { get; set; }

    // Each signal received: when its sender sent it (a Stopwatch timestamp) and how long it took. Sized for a 15 s run at
    // 1/s so that recording allocates nothing while the exchange is measured.
    private readonly List<(long Sent, double Milliseconds)> _latencies = new(32);

    /// <summary>The relayed candidate, before the send stamp that ends it.</summary>
    private const string CandidateText = "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.5 rport 46154 ";

    // What a signal is written into; sends are one at a time under _sendLock.
    private readonly byte[] _signalFrame = new byte[1024];

    public long Sent { get; private set; }

    public long Errors { get; private set; }

    public bool IsOpen => _socket.State == WebSocketState.Open;

    public static async Task<LoadClient> OpenAsync(string protocol, Uri url, IPAddress source, string room, int index)
    {
        var handler = new SocketsHttpHandler
        {
            // Several loopback source addresses lift the ~28k ephemeral-port ceiling of one address.
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        var id = "c" + index.ToString(CultureInfo.InvariantCulture) + "x" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var target = url;
        if (protocol == "peerconnect")
        {
            socket.Options.AddSubProtocol("peerconnect.v1.json");
        }
        else
        {
            target = new Uri($"{url.GetLeftPart(UriPartial.Path)}?key=peerjs&id={id}&token=t{index}");
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(target, new HttpMessageInvoker(handler), timeout.Token);
        var client = new LoadClient(socket, protocol, id, room);
        var greetingBuffer = new byte[64 * 1024];
        var first = await client.ReceiveAsync(greetingBuffer, timeout.Token);
        using (var greeting = JsonDocument.Parse(greetingBuffer.AsMemory(0, first)))
        {
            var type = greeting.RootElement.GetProperty("type").GetString();
            if (protocol == "peerconnect")
            {
                client.Id = type == "welcome" ? greeting.RootElement.GetProperty("session").GetString()! : throw new IOException($"Expected welcome, got {type}.");
            }
            else if (type != "OPEN")
            {
                throw new IOException($"Expected OPEN, got {type}.");
            }
        }

        client._reading = client.ReadLoopAsync();
        if (protocol == "peerjs")
        {
            _ = client.HeartbeatLoopAsync();
        }

        return client;
    }

    public async Task JoinAsync()
    {
        await SendAsync($$"""{"type":"join","room":"{{_room}}","id":1}""");
        await _joined.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async Task SendLoopAsync(double rate, CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromSeconds(1 / rate);
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next((int)period.TotalMilliseconds)), CancellationToken.None);
        using var timer = new PeriodicTimer(period);

        // The end of the run stops the timer rather than cancelling the wait: 10,000 cancellation exceptions at once
        // stalled the tool for a quarter of a second, and the slowest 1% of every 10,000-client run were the signals
        // it was reading then.
        using var stopping = cancellationToken.Register(static t => ((PeriodicTimer)t!).Dispose(), timer);
        try
        {
            do
            {
                await SendSignalAsync();
                Sent++;
            }
            while (await timer.WaitForNextTickAsync(CancellationToken.None));
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
            Errors++;
        }
    }

    public void Abort() => _socket.Abort();

    /// <summary>Closes normally (1000), which ends the session on the server at once; gives up after 10 s.</summary>
    public async Task CloseAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _sendLock.WaitAsync(timeout.Token);
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
            await _reading.WaitAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            Errors++;
        }
        finally
        {
            _socket.Abort();
        }
    }

    /// <summary>
    /// Writes a signal stamped with the time it is sent straight into a reused buffer: at 10,000 clients the load tool's
    /// own collections, from formatting each signal as strings, paused it for over a second of a 15 s exchange.
    /// </summary>
    private async Task SendSignalAsync()
    {
        await _sendLock.WaitAsync();
        try
        {
            var stamp = Stopwatch.GetTimestamp();
            // Like the .NET client, a signal carries the acknowledgement when something arrived since the last one.
            var ack = Interlocked.Exchange(ref _sinceAck, 0) > 0 ? Volatile.Read(ref _lastSeq) : 0;
            var frame = _signalFrame.AsSpan();
            int written;
            bool fits;
            if (_protocol == "peerconnect")
            {
                fits = Utf8.TryWrite(frame, $"{{\"type\":\"signal\",\"to\":\"{Partner}\",\"kind\":\"candidate\"", out written);
                if (fits && ack > 0)
                {
                    fits = Utf8.TryWrite(frame[written..], $",\"ack\":{ack}", out var ackBytes);
                    written += ackBytes;
                }

                if (fits)
                {
                    fits = Utf8.TryWrite(frame[written..], $$$""","candidate":{"candidate":"{{{CandidateText}}}{{{stamp}}}","sdpMid":"0","sdpMLineIndex":0}}""", out var tail);
                    written += tail;
                }
            }
            else
            {
                fits = Utf8.TryWrite(frame, $$$"""{"type":"CANDIDATE","dst":"{{{Partner}}}","payload":{"candidate":{"candidate":"{{{CandidateText}}}{{{stamp}}}","sdpMid":"0","sdpMLineIndex":0},"type":"media","connectionId":"mc_load"}}""", out written);
            }

            if (!fits)
            {
                throw new InvalidOperationException("A signal does not fit its buffer.");
            }

            await _socket.SendAsync(_signalFrame.AsMemory(0, written), WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The signals received so far, with when each was sent.</summary>
    public (long Sent, double Milliseconds)[] Latencies()
    {
        lock (_latencies)
        {
            return [.. _latencies];
        }
    }

    private async Task SendAsync(string json)
    {
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task<int> ReceiveAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new WebSocketException("closed by the server");
            }

            length += result.Count;
        }
        while (!result.EndOfMessage);
        return length;
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var length = await ReceiveAsync(buffer, CancellationToken.None);
                var received = Stopwatch.GetTimestamp();
                var (kind, seq, stamp) = Parse(buffer.AsSpan(0, length));
                switch (kind)
                {
                    case FrameKind.Ping:
                        // Like the .NET client: the pong acknowledges everything received so far.
                        Interlocked.Exchange(ref _sinceAck, 0);
                        await SendAsync($$"""{"type":"pong","ack":{{_lastSeq}}}""");
                        break;
                    case FrameKind.Joined:
                        _joined.TrySetResult();
                        break;
                    case FrameKind.Signal:
                        lock (_latencies)
                        {
                            _latencies.Add((stamp, Stopwatch.GetElapsedTime(stamp, received).TotalMilliseconds));
                        }

                        break;
                    case FrameKind.Error:
                        Errors++;
                        break;
                }

                if (seq > _lastSeq && kind is not (FrameKind.Ping or FrameKind.Pong or FrameKind.Welcome))
                {
                    Volatile.Write(ref _lastSeq, seq);
                    if (Interlocked.Increment(ref _sinceAck) >= 16)
                    {
                        Interlocked.Exchange(ref _sinceAck, 0);
                        await SendAsync($$"""{"type":"ack","through":{{seq}}}""");
                    }
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The run is over or the server dropped us; IsOpen reports it.
        }
    }

    /// <summary>
    /// What a received frame is, its <c>seq</c>, and the send stamp at the end of a relayed candidate: read in place,
    /// without a document or strings, for the same reason as <see cref="SendSignalAsync"/>.
    /// </summary>
    private static (FrameKind Kind, long Seq, long Stamp) Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        var kind = FrameKind.Other;
        long seq = 0, stamp = 0;
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }

            if (reader.CurrentDepth == 1 && reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                kind = reader.ValueSpan switch
                {
                    var t when t.SequenceEqual("ping"u8) => FrameKind.Ping,
                    var t when t.SequenceEqual("pong"u8) => FrameKind.Pong,
                    var t when t.SequenceEqual("welcome"u8) => FrameKind.Welcome,
                    var t when t.SequenceEqual("joined"u8) => FrameKind.Joined,
                    var t when t.SequenceEqual("signal"u8) || t.SequenceEqual("CANDIDATE"u8) => FrameKind.Signal,
                    var t when t.SequenceEqual("error"u8) || t.SequenceEqual("ERROR"u8) || t.SequenceEqual("EXPIRE"u8) => FrameKind.Error,
                    _ => FrameKind.Other,
                };
            }
            else if (reader.CurrentDepth == 1 && reader.ValueTextEquals("seq"u8))
            {
                reader.Read();
                seq = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("candidate"u8) && reader.Read() && reader.TokenType == JsonTokenType.String)
            {
                var value = reader.ValueSpan;
                Utf8Parser.TryParse(value[(value.LastIndexOf((byte)' ') + 1)..], out stamp, out _);
            }
        }

        return (kind, seq, stamp);
    }

    private enum FrameKind
    {
        Other,
        Ping,
        Pong,
        Welcome,
        Joined,
        Signal,
        Error,
    }

    /// <summary>The PeerJS client's keep-alive: a heartbeat every 5 s.</summary>
    private async Task HeartbeatLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        try
        {
            while (await timer.WaitForNextTickAsync() && IsOpen)
            {
                await SendAsync("""{"type":"HEARTBEAT"}""");
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
            // The read loop notices the drop.
        }
    }
}
