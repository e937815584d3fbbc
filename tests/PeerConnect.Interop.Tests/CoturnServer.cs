using System.Net;
using System.Net.Sockets;
using PeerConnect.Stun;

namespace PeerConnect.Interop.Tests;

/// <summary>
/// coturn's <c>turnserver</c> (Debian package coturn), started on loopback with a configuration
/// file written here and killed on dispose.
/// </summary>
internal sealed class CoturnServer : IDisposable
{
    private readonly ExternalProcess _process;
    private readonly string _directory;

    private CoturnServer(ExternalProcess process, string directory, IPEndPoint endPoint)
    {
        _process = process;
        _directory = directory;
        EndPoint = endPoint;
    }

    /// <summary>The primary listening address and port (UDP and TCP).</summary>
    public IPEndPoint EndPoint { get; }

    public string Log => _process.Output;

    /// <summary>
    /// Starts coturn on <paramref name="primary"/> (and <paramref name="alternate"/> for RFC 5780,
    /// which coturn serves when it listens on two addresses and <c>no-rfc5780</c> is absent).
    /// </summary>
    public static async Task<CoturnServer> StartAsync(IPAddress primary, IPAddress? alternate = null, IEnumerable<string>? extraConfiguration = null)
    {
        IPAddress[] addresses = alternate is null ? [primary] : [primary, alternate];
        int port = FreePorts.FindConsecutive(2, addresses);
        string directory = Directory.CreateTempSubdirectory("peerconnect-coturn-").FullName;
        var lines = new List<string>();
        lines.AddRange(addresses.Select(a => $"listening-ip={a}"));
        lines.Add($"listening-port={port}");
        lines.Add($"alt-listening-port={port + 1}");
        lines.AddRange(addresses.Select(a => $"relay-ip={a}"));
        lines.Add("no-cli");
        lines.Add("no-tls");
        lines.Add("no-dtls");
        lines.Add("log-file=stdout");
        lines.Add("simple-log");
        lines.Add($"pidfile={Path.Combine(directory, "turnserver.pid")}");
        lines.AddRange(extraConfiguration ?? ["stun-only"]);
        string configuration = Path.Combine(directory, "turnserver.conf");
        await File.WriteAllLinesAsync(configuration, lines);

        ExternalProcess process = ExternalProcess.Start("turnserver", ["-c", configuration]);
        var server = new CoturnServer(process, directory, new IPEndPoint(primary, port));
        try
        {
            await server.WaitUntilAnsweringAsync(TimeSpan.FromSeconds(20));
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    private async Task WaitUntilAnsweringAsync(TimeSpan timeout)
    {
        using var socket = new Socket(EndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(EndPoint.Address, 0));
        var request = new byte[64];
        var response = new byte[1024];
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"turnserver exited with {_process.ExitCode}:\n{Log}");
            }

            var writer = new StunMessageWriter(request, StunMessageType.BindingRequest, TransactionId.NewRandom());
            await socket.SendToAsync(request.AsMemory(0, writer.Length), EndPoint);
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(250));
            try
            {
                int received = await socket.ReceiveAsync(response, SocketFlags.None, wait.Token);
                if (StunMessageReader.TryParse(response.AsSpan(0, received), out _, out _))
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        throw new TimeoutException($"turnserver did not answer within {timeout}:\n{Log}");
    }

    public void Dispose()
    {
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
