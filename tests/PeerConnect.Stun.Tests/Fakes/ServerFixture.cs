using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PeerConnect.Stun.Server;

namespace PeerConnect.Stun.Tests.Fakes;

/// <summary>Starts real servers on loopback ports the system picks, and helpers to talk raw STUN to them.</summary>
internal static class ServerFixture
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static async Task<StunServer> StartAsync(StunServerOptions options, IStunMethodHandler? handler = null)
    {
        var server = new StunServer(options with { Port = 0, TlsPort = 0, ReceiveLoops = options.ReceiveLoops }, methodHandler: handler);
        await server.StartAsync();
        return server;
    }

    public static StunServerOptions Loopback(params IPAddress[] addresses) => new()
    {
        ListenAddresses = addresses.Length == 0 ? [IPAddress.Loopback, IPAddress.IPv6Loopback] : addresses,
        Port = 0,
        TlsPort = 0,
        ReceiveLoops = 2,
        Software = "PeerConnect test",
    };

    public static Socket UdpSocket(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, 0));
        return socket;
    }

    /// <summary>Sends <paramref name="request"/> until an answer with its transaction id arrives (loopback rarely drops, but may).</summary>
    public static async Task<(byte[] Message, IPEndPoint From)> ExchangeAsync(Socket socket, byte[] request, IPEndPoint server)
    {
        var id = StunMessageReader.Parse(request).TransactionId;
        using var overall = new CancellationTokenSource(Patience);
        var buffer = new byte[4096];
        while (true)
        {
            await socket.SendToAsync(request, SocketFlags.None, server, overall.Token);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
            attempt.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                while (true)
                {
                    var result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(server.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0), attempt.Token);
                    var message = buffer.AsSpan(0, result.ReceivedBytes).ToArray();
                    if (StunMessageReader.TryParse(message, out var reader, out _) && reader.TransactionId == id)
                    {
                        return (message, (IPEndPoint)result.RemoteEndPoint);
                    }
                }
            }
            catch (OperationCanceledException) when (!overall.IsCancellationRequested)
            {
            }
        }
    }

    public static byte[] BindingRequest(TransactionId id, ushort? extraAttribute = null, StunMessageClass messageClass = StunMessageClass.Request, StunMethod method = StunMethod.Binding)
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer, new StunMessageType(method, messageClass), id);
        if (extraAttribute is ushort type)
        {
            writer.WriteAttribute(type, [1, 2, 3, 4]);
        }
        writer.WriteFingerprint();
        return buffer.AsSpan(0, writer.Length).ToArray();
    }

    public static X509Certificate2 SelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Round-trip through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}

/// <summary>Collects one counter of one server's meter.</summary>
internal sealed class CounterProbe : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _total;

    public CounterProbe(Meter meter, string instrument)
    {
        _listener.InstrumentPublished = (i, l) =>
        {
            if (ReferenceEquals(i.Meter, meter) && i.Name == instrument)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
        _listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);

    public void Dispose() => _listener.Dispose();
}
