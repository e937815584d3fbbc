using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PeerConnect.Stun;

namespace PeerConnect.Benchmarks;

/// <summary>
/// A closed-loop Binding load generator: each worker owns one UDP socket and keeps a fixed window
/// of requests in flight, sending a new one for every response. The same tool drives any STUN
/// server, so two servers measured with it under the same core pinning compare fairly.
/// </summary>
/// <remarks>
/// Usage: <c>stun-load HOST:PORT [--seconds 10] [--workers 4] [--window 32] [--server-pid PID]</c>.
/// Prints one line of <c>key=value</c> pairs: responses per second, timeouts, and with a server
/// pid the server's CPU seconds per million responses (from /proc).
/// </remarks>
internal static class StunBindingLoad
{
    private static readonly TimeSpan ReceiveTimeout = TimeSpan.FromMilliseconds(200);

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || !IPEndPoint.TryParse(args[0], out IPEndPoint? server))
        {
            await Console.Error.WriteLineAsync("usage: stun-load HOST:PORT [--seconds N] [--workers N] [--window N] [--server-pid PID]");
            return 2;
        }

        int seconds = Option(args, "--seconds", 10);
        int workers = Option(args, "--workers", 4);
        int window = Option(args, "--window", 32);
        int serverPid = Option(args, "--server-pid", 0);

        using var stop = new CancellationTokenSource();
        var counts = new long[workers];
        var timeouts = new long[workers];
        var threads = new Thread[workers];
        for (int i = 0; i < workers; i++)
        {
            int index = i;
            threads[i] = new Thread(() => Worker(server, window, counts, timeouts, index, stop.Token)) { IsBackground = true };
        }

        // A short warm-up lets both servers reach steady state before the clock starts.
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        long startCount = counts.Sum();
        double startCpu = ServerCpuSeconds(serverPid);
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        long responses = counts.Sum() - startCount;
        double elapsed = clock.Elapsed.TotalSeconds;
        double cpu = ServerCpuSeconds(serverPid) - startCpu;
        stop.Cancel();
        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        double perSecond = responses / elapsed;
        string cpuPerMillion = serverPid > 0 && responses > 0
            ? (cpu / responses * 1_000_000).ToString("F2", CultureInfo.InvariantCulture)
            : "n/a";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"server={server} seconds={elapsed:F1} workers={workers} window={window} responses={responses} responses_per_second={perSecond:F0} timeouts={timeouts.Sum()} server_cpu_seconds_per_million={cpuPerMillion}"));
        return 0;
    }

    private static void Worker(IPEndPoint server, int window, long[] counts, long[] timeouts, int index, CancellationToken stop)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0));
        socket.Connect(server);
        socket.ReceiveTimeout = (int)ReceiveTimeout.TotalMilliseconds;
        var request = new byte[64];
        var response = new byte[1500];
        int requestLength = WriteRequest(request);
        ulong sequence = (ulong)index << 48;

        void Send()
        {
            // The last 8 bytes of the transaction id carry a sequence number: unique, no allocation.
            BinaryPrimitives.WriteUInt64BigEndian(request.AsSpan(12), sequence++);
            socket.Send(request.AsSpan(0, requestLength));
        }

        for (int i = 0; i < window; i++)
        {
            Send();
        }

        while (!stop.IsCancellationRequested)
        {
            int received;
            try
            {
                received = socket.Receive(response);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.ConnectionRefused)
            {
                // Lost requests shrink the window; refill it.
                timeouts[index]++;
                for (int i = 0; i < window; i++)
                {
                    Send();
                }

                continue;
            }

            if (received >= StunConstants.HeaderLength && StunFraming.LooksLikeStun(response.AsSpan(0, received)) && response[0] == 0x01 && response[1] == 0x01)
            {
                Interlocked.Increment(ref counts[index]);
            }

            Send();
        }
    }

    private static int WriteRequest(byte[] buffer)
    {
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingRequest, TransactionId.NewRandom());
        return writer.Length;
    }

    private static double ServerCpuSeconds(int pid)
    {
        if (pid <= 0)
        {
            return 0;
        }

        // /proc/PID/stat fields 14 and 15 are utime and stime in clock ticks (100 per second on Linux).
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / 100.0;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], CultureInfo.InvariantCulture, out int value) ? value : fallback;
    }
}
