using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

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

    public ConcurrentBag<double> Latencies { get; } = [];

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
        var first = await client.ReceiveAsync(new byte[64 * 1024], timeout.Token);
        using (var greeting = JsonDocument.Parse(first))
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
        try
        {
            do
            {
                var stamp = Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture);
                // Like the .NET client, a signal carries the acknowledgement when something arrived since the last one.
                var ack = Interlocked.Exchange(ref _sinceAck, 0) > 0 ? $",\"ack\":{Volatile.Read(ref _lastSeq)}" : "";
                var frame = _protocol == "peerconnect"
                    ? $$$"""{"type":"signal","to":"{{{Partner}}}","kind":"candidate"{{{ack}}},"candidate":{"candidate":"candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.5 rport 46154 {{{stamp}}}","sdpMid":"0","sdpMLineIndex":0}}"""
                    : $$$"""{"type":"CANDIDATE","dst":"{{{Partner}}}","payload":{"candidate":{"candidate":"candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.5 rport 46154 {{{stamp}}}","sdpMid":"0","sdpMLineIndex":0},"type":"media","connectionId":"mc_load"}}""";
                await SendAsync(frame);
                Sent++;
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            if (e is not OperationCanceledException)
            {
                Errors++;
            }
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

    private async Task<byte[]> ReceiveAsync(byte[] buffer, CancellationToken cancellationToken)
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
        return buffer[..length];
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var frame = await ReceiveAsync(buffer, CancellationToken.None);
                var received = Stopwatch.GetTimestamp();
                using var message = JsonDocument.Parse(frame);
                var root = message.RootElement;
                var seq = root.TryGetProperty("seq", out var seqField) ? seqField.GetInt64() : 0;
                switch (root.GetProperty("type").GetString())
                {
                    case "ping":
                        // Like the .NET client: the pong acknowledges everything received so far.
                        Interlocked.Exchange(ref _sinceAck, 0);
                        await SendAsync($$"""{"type":"pong","ack":{{_lastSeq}}}""");
                        break;
                    case "joined":
                        _joined.TrySetResult();
                        break;
                    case "signal":
                        Record(root.GetProperty("candidate").GetProperty("candidate").GetString()!, received);
                        break;
                    case "CANDIDATE":
                        Record(root.GetProperty("payload").GetProperty("candidate").GetProperty("candidate").GetString()!, received);
                        break;
                    case "error" or "ERROR" or "EXPIRE":
                        Errors++;
                        break;
                }

                if (seq > _lastSeq && root.GetProperty("type").GetString() is not ("ping" or "pong" or "welcome"))
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

    private void Record(string candidate, long received)
    {
        var sent = long.Parse(candidate.AsSpan(candidate.LastIndexOf(' ') + 1), CultureInfo.InvariantCulture);
        Latencies.Add(Stopwatch.GetElapsedTime(sent, received).TotalMilliseconds);
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
