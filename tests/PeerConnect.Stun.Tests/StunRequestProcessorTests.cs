using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using PeerConnect.Stun.Server;
using PeerConnect.Stun.Tests.Fakes;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Stun.Tests;

/// <summary>The server core without sockets.</summary>
public sealed class StunRequestProcessorTests
{
    private static readonly byte[] ClientAddress = IPAddress.Parse("198.51.100.7").GetAddressBytes();

    [Fact]
    public void BindingIsAnsweredWithoutAllocating()
    {
        using var metrics = new StunServerMetrics(meterFactory: null);
        var processor = new StunRequestProcessor(new StunServerOptions(), null, metrics, NullLogger.Instance);
        var view = ListenerView.Plain(StunTransportProtocol.Udp);
        var request = ServerFixture.BindingRequest(TransactionId.NewRandom());
        var response = new byte[1024];
        processor.Process(request, ClientAddress, 40000, view, response);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            processor.Process(request, ClientAddress, 40000, view, response);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Rfc5780ViewNamesTheSocketsForEveryChange()
    {
        IPEndPoint[] quartet =
        [
            new(IPAddress.Parse("192.0.2.1"), 3478),
            new(IPAddress.Parse("192.0.2.1"), 3479),
            new(IPAddress.Parse("192.0.2.2"), 3478),
            new(IPAddress.Parse("192.0.2.2"), 3479),
        ];

        var view = ListenerView.ForRfc5780(quartet, ipIndex: 1, portIndex: 0);

        Assert.Equal(quartet[2], view.OriginFor(false, false));
        Assert.Equal(quartet[3], view.OriginFor(false, true));
        Assert.Equal(quartet[0], view.OriginFor(true, false));
        Assert.Equal(quartet[1], view.OriginFor(true, true));
        Assert.Equal(quartet[1], view.OtherAddress);
    }

    [Fact]
    public void ChangeRequestOverTcpGets420()
    {
        using var metrics = new StunServerMetrics(meterFactory: null);
        var processor = new StunRequestProcessor(new StunServerOptions(), null, metrics, NullLogger.Instance);
        var buffer = new byte[128];
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingRequest, TransactionId.NewRandom());
        writer.WriteChangeRequest(changeIp: true, changePort: false);
        var response = new byte[512];

        var outcome = processor.Process(buffer.AsSpan(0, writer.Length), ClientAddress, 40000, ListenerView.Plain(StunTransportProtocol.Tcp), response);

        var reader = StunMessageReader.Parse(response.AsSpan(0, outcome.Length));
        Assert.True(reader.TryGetErrorCode(out int code, out _));
        Assert.Equal(420, code);
    }

    [Fact]
    public void BadFingerprintIsDroppedAsMalformed()
    {
        using var metrics = new StunServerMetrics(meterFactory: null);
        var processor = new StunRequestProcessor(new StunServerOptions(), null, metrics, NullLogger.Instance);
        var request = ServerFixture.BindingRequest(TransactionId.NewRandom());
        request[^1] ^= 0xFF;

        var outcome = processor.Process(request, ClientAddress, 40000, ListenerView.Plain(StunTransportProtocol.Udp), new byte[512]);

        Assert.Equal(StunOutcomeKind.Malformed, outcome.Kind);
    }
}
