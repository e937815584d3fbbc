using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PeerConnect.Turn.Client;

namespace PeerConnect.TurnLoad;

/// <summary>
/// TCP relaying (RFC 6062) under load: N TCP allocations, each Connected to a TCP echo peer of ours and bound, each
/// streaming chunks of the payload size with a window of chunks in flight, and reading the echo. The same load over
/// plain loopback TCP connections to the echo peer is the baseline. Every byte crosses the relay twice (to the peer
/// and back), so "relayed MB/s" is twice the echoed rate.
/// </summary>
internal static class TcpRelayLoad
{
    public static async Task<int> RunAsync(LoadOptions options)
    {
        using var listener = new TcpListener(options.PeerAddress, 0);
        listener.Start(512);
        using var stopPeer = new CancellationTokenSource();
        Task peer = EchoAsync(listener, stopPeer.Token);
        var clients = new List<TurnTcpRelayClient>();
        var relayed = new List<Stream>();
        var direct = new List<Stream>();
        var peerEndPoint = (IPEndPoint)listener.LocalEndpoint;
        try
        {
            for (int i = 0; i < options.Allocations; i++)
            {
                var client = await TurnTcpRelayClient.ConnectAsync(options.ClientOptions(i));
                clients.Add(client);
                await client.AllocateAsync();
                relayed.Add((await client.ConnectPeerAsync(peerEndPoint)).Stream);
                var socket = new Socket(peerEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(peerEndPoint);
                direct.Add(new NetworkStream(socket, ownsSocket: true));
            }

            Console.WriteLine($"turn-load --relay tcp: server {options.Server}, {options.Allocations} TCP allocations, window {options.Window} chunks/connection, " +
                $"warm-up {options.Warmup.TotalSeconds} s, measured {options.Duration.TotalSeconds} s");
            Console.WriteLine();
            Console.WriteLine("| path | chunk B | echoed MB/s | relayed MB/s | chunk RTT p50 µs | p99 µs | added p50 µs | added p99 µs | server CPU s / GB relayed |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (int payload in options.Payloads)
            {
                var baseline = await MeasureAsync(direct, payload, options, serverPid: null);
                Console.WriteLine(baseline.Row("direct loopback", payload, null));
                var via = await MeasureAsync(relayed, payload, options, options.ServerPid);
                Console.WriteLine(via.Row("via TURN (TCP)", payload, baseline));
            }
            return 0;
        }
        finally
        {
            foreach (var stream in relayed.Concat(direct))
            {
                await stream.DisposeAsync();
            }
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
            await stopPeer.CancelAsync();
            listener.Stop();
            await peer;
        }
    }

    private static async Task<Result> MeasureAsync(IReadOnlyList<Stream> streams, int chunk, LoadOptions options, int? serverPid)
    {
        var window = new Window();
        using var stop = new CancellationTokenSource();
        var pumps = streams.Select(s => new Pump(s, chunk, options.Window)).ToArray();
        var running = pumps.Select(p => p.RunAsync(window, stop.Token)).ToArray();
        await Task.Delay(options.Warmup);
        double? cpuBefore = LoadStatistics.ServerCpu(serverPid);
        window.Start = Stopwatch.GetTimestamp();
        await Task.Delay(options.Duration);
        window.End = Stopwatch.GetTimestamp();
        double? cpuAfter = LoadStatistics.ServerCpu(serverPid);
        await stop.CancelAsync();
        await Task.WhenAll(running);
        int[] samples = [.. pumps.SelectMany(p => p.Samples)];
        Array.Sort(samples);
        double seconds = Stopwatch.GetElapsedTime(window.Start, window.End).TotalSeconds;
        return new Result(pumps.Sum(p => p.EchoedInWindow) / seconds, LoadStatistics.Percentile(samples, 0.5), LoadStatistics.Percentile(samples, 0.99), cpuAfter - cpuBefore, seconds);
    }

    private sealed record Result(double EchoedBytesPerSecond, int P50, int P99, double? ServerCpuSeconds, double Seconds)
    {
        public string Row(string path, int chunk, Result? baseline)
        {
            CultureInfo c = CultureInfo.InvariantCulture;
            double relayedPerSecond = baseline is null ? 0 : 2 * EchoedBytesPerSecond;
            string cpu = ServerCpuSeconds is double s && relayedPerSecond > 0
                ? (s / (relayedPerSecond * Seconds / 1e9)).ToString("F2", c) + $" ({s.ToString("F2", c)} s in {Seconds.ToString("F1", c)} s)"
                : "–";
            return string.Create(c,
                $"| {path} | {chunk} | {EchoedBytesPerSecond / 1e6:F1} | {(baseline is null ? "–" : (relayedPerSecond / 1e6).ToString("F1", c))} | {P50} | {P99} | " +
                $"{(baseline is null ? "–" : (P50 - baseline.P50).ToString(c))} | {(baseline is null ? "–" : (P99 - baseline.P99).ToString(c))} | {cpu} |");
        }
    }

    /// <summary>When the measured window opens and closes, as <see cref="Stopwatch"/> timestamps (0 = not yet).</summary>
    private sealed class Window
    {
        public long Start;
        public long End;

        public bool Contains(long timestamp)
        {
            long start = Volatile.Read(ref Start);
            long end = Volatile.Read(ref End);
            return start != 0 && timestamp >= start && (end == 0 || timestamp < end);
        }
    }

    /// <summary>One connection: a writer keeping <c>window</c> chunks in flight, each stamped with its send time, and a reader timing their echoes.</summary>
    private sealed class Pump(Stream stream, int chunk, int window)
    {
        private readonly SemaphoreSlim _inFlight = new(window, window);

        public List<int> Samples { get; } = [];

        public long EchoedInWindow { get; private set; }

        /// <summary>Runs until <paramref name="stop"/>, then drains the chunks still in flight so the stream is clean for the next run.</summary>
        public async Task RunAsync(Window measured, CancellationToken stop)
        {
            var writing = WriteAsync(stop);
            var buffer = new byte[chunk];
            while (true)
            {
                if (stop.IsCancellationRequested && _inFlight.CurrentCount == window)
                {
                    await writing;
                    if (_inFlight.CurrentCount == window)
                    {
                        return;
                    }
                }
                await stream.ReadExactlyAsync(buffer);
                long now = Stopwatch.GetTimestamp();
                long sent = BinaryPrimitives.ReadInt64LittleEndian(buffer);
                _inFlight.Release();
                if (measured.Contains(now))
                {
                    EchoedInWindow += chunk;
                    Samples.Add((int)Stopwatch.GetElapsedTime(sent, now).TotalMicroseconds);
                }
            }
        }

        // Whole chunks only: stopping waits between writes, never inside one.
        private async Task WriteAsync(CancellationToken stop)
        {
            var buffer = new byte[chunk];
            while (true)
            {
                try
                {
                    await _inFlight.WaitAsync(stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                BinaryPrimitives.WriteInt64LittleEndian(buffer, Stopwatch.GetTimestamp());
                await stream.WriteAsync(buffer, CancellationToken.None);
            }
        }
    }

    private static async Task EchoAsync(TcpListener listener, CancellationToken stop)
    {
        var echoes = new List<Task>();
        try
        {
            while (true)
            {
                var socket = await listener.AcceptSocketAsync(stop);
                socket.NoDelay = true;
                echoes.Add(Task.Run(() => EchoOneAsync(socket, stop)));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
        await Task.WhenAll(echoes);
    }

    private static async Task EchoOneAsync(Socket socket, CancellationToken stop)
    {
        using (socket)
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    int read = await socket.ReceiveAsync(buffer, SocketFlags.None, stop);
                    if (read == 0)
                    {
                        return;
                    }
                    await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, stop);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }
}
