using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PeerConnect.Signaling.Client;
using PeerConnect.Signaling.Codec;
using PeerConnect.Signaling.Protocol;

// Usage: dotnet run -c Release --project tests/PeerConnect.Signaling.Benchmarks [-- messages]
// One message in flight at a time, so each figure is the latency of one message, not of a queue.
internal static class RelayBenchmark
{
    public static async Task Main(string[] args)
    {
        var messages = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5000;
        var warmup = Math.Max(200, messages / 10);

        // Outside a test project the factory cannot find the server's content root on its own; it needs none.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_PEERCONNECT_SERVER", AppContext.BaseDirectory);
        await using var factory = new BenchmarkFactory();
        factory.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        var address = new Uri(factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var ws = new Uri($"ws://{address.Authority}/ws");
        var echo = new Uri($"ws://{address.Authority}/echo");

        var candidate = new SignalMessage(SignalKind.Candidate)
        {
            Candidate = new IceCandidateInit("candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.5 rport 46154 generation 0", "0", 0, "EsAw"),
        };

        Console.WriteLine($"messages per measurement: {messages} (after {warmup} warm-up), one in flight");
        Console.WriteLine("| path | encoding | p50 (µs) | p99 (µs) |");
        Console.WriteLine("| --- | --- | ---: | ---: |");
        foreach (var subprotocol in new[] { SignalingSubprotocols.Json, SignalingSubprotocols.Cbor })
        {
            var codec = SignalingCodec.ForSubprotocol(subprotocol)!;
            var frame = codec.Encode(candidate with { From = "0123456789abcdefghijkl", Seq = 1000 });
            var echoTimes = await MeasureEchoAsync(echo, frame, codec.FrameType, warmup, messages);
            var relayTimes = await MeasureRelayAsync(ws, subprotocol, candidate, warmup, messages);
            Print("raw WebSocket echo (reference)", subprotocol, echoTimes);
            Print("signaling relay A→server→B", subprotocol, relayTimes);
            Console.WriteLine($"| ratio relay/echo | {Short(subprotocol)} | {Percentile(relayTimes, 0.50) / Percentile(echoTimes, 0.50):F2} | {Percentile(relayTimes, 0.99) / Percentile(echoTimes, 0.99):F2} |");
        }
    }

    private static string Short(string subprotocol) => subprotocol == SignalingSubprotocols.Json ? "JSON" : "CBOR";

    private static void Print(string path, string subprotocol, double[] micros) =>
        Console.WriteLine($"| {path} | {Short(subprotocol)} | {Percentile(micros, 0.50):F0} | {Percentile(micros, 0.99):F0} |");

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    // Client → server → same client: the same two network hops as a relay, with no signaling work.
    private static async Task<double[]> MeasureEchoAsync(Uri uri, byte[] frame, WebSocketMessageType type, int warmup, int count)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(uri, CancellationToken.None);
        var buffer = new byte[64 * 1024];
        var times = new double[count];
        for (var i = -warmup; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await socket.SendAsync(frame, type, true, CancellationToken.None);
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            }
            while (!result.EndOfMessage);

            if (i >= 0)
            {
                times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        Array.Sort(times);
        return times;
    }

    // Client A sends a candidate to client B through the server; measured until B's event fires.
    private static async Task<double[]> MeasureRelayAsync(Uri uri, string subprotocol, SignalMessage signal, int warmup, int count)
    {
        await using var a = new SignalingClient(new SignalingClientOptions { ServerUri = uri, Subprotocol = subprotocol });
        await using var b = new SignalingClient(new SignalingClientOptions { ServerUri = uri, Subprotocol = subprotocol });
        await a.ConnectAsync();
        await b.ConnectAsync();
        await a.JoinAsync("bench-" + subprotocol);
        await b.JoinAsync("bench-" + subprotocol);
        TaskCompletionSource<long> arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        b.SignalReceived += (_, _) => arrived.TrySetResult(Stopwatch.GetTimestamp());
        var times = new double[count];
        for (var i = -warmup; i < count; i++)
        {
            arrived = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var start = Stopwatch.GetTimestamp();
            await a.SendSignalAsync(b.SessionId!, signal);
            var end = await arrived.Task;
            if (i >= 0)
            {
                times[i] = Stopwatch.GetElapsedTime(start, end).TotalMicroseconds;
            }
        }

        Array.Sort(times);
        return times;
    }
}

/// <summary>The real server, quiet, plus an <c>/echo</c> WebSocket on the same Kestrel as the reference.</summary>
internal sealed class BenchmarkFactory : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["PeerConnect:Signaling:RateLimitPerSecond"] = "1000000",
            ["PeerConnect:Signaling:RateLimitBurst"] = "1000000",
        }));
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, EchoStartupFilter>());
    }

    private sealed class EchoStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseWebSockets();
            app.Map("/echo", echo => echo.Run(EchoAsync));
            next(app);
        };

        private static async Task EchoAsync(HttpContext context)
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), context.RequestAborted);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", context.RequestAborted);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, length), result.MessageType, true, context.RequestAborted);
            }
        }
    }
}
