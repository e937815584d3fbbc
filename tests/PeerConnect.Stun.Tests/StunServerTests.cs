using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using PeerConnect.Stun.Client;
using PeerConnect.Stun.Server;
using PeerConnect.Stun.Tests.Fakes;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Stun.Tests;

/// <summary>RFC 8489 §6.3 server rules over real loopback sockets.</summary>
public sealed class StunServerTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task BindingOverUdpAnswersTheClientsAddress(string address)
    {
        var ip = IPAddress.Parse(address);
        await using var server = await ServerFixture.StartAsync(ServerFixture.Loopback());
        await using var client = StunClient.CreateUdp(ip.AddressFamily);

        var result = await client.BindingAsync(server.UdpEndPoints.Single(e => e.AddressFamily == ip.AddressFamily)).WaitAsync(ServerFixture.Patience);

        Assert.Equal(ip, result.MappedAddress.Address);
        Assert.Equal(client.LocalEndPoint.Port, result.MappedAddress.Port);
        Assert.Equal("PeerConnect test", result.Software);
        Assert.Null(result.OtherAddress);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task BindingOverTcpAnswersTheClientsAddress(string address)
    {
        var ip = IPAddress.Parse(address);
        await using var server = await ServerFixture.StartAsync(ServerFixture.Loopback());
        await using var client = await StunStreamClient.ConnectAsync(server.TcpEndPoints.Single(e => e.AddressFamily == ip.AddressFamily));

        var first = await client.BindingAsync().WaitAsync(ServerFixture.Patience);
        var second = await client.BindingAsync().WaitAsync(ServerFixture.Patience);

        Assert.Equal(client.LocalEndPoint, first.MappedAddress);
        Assert.Equal(first.MappedAddress, second.MappedAddress);
    }

    [Fact]
    public async Task BindingOverTlsAnswersWhenACertificateIsConfigured()
    {
        using var certificate = ServerFixture.SelfSignedCertificate();
        await using var server = await ServerFixture.StartAsync(ServerFixture.Loopback(IPAddress.Loopback) with { Certificate = certificate });
        var tls = new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == certificate.GetCertHashString(),
        };
        await using var client = await StunStreamClient.ConnectAsync(server.TlsEndPoints.Single(), tls);

        var result = await client.BindingAsync().WaitAsync(ServerFixture.Patience);

        Assert.Equal(client.LocalEndPoint, result.MappedAddress);
    }

    [Fact]
    public async Task NoTlsListenerWithoutACertificate()
    {
        await using var server = await ServerFixture.StartAsync(ServerFixture.Loopback());
        Assert.Empty(server.TlsEndPoints);
        Assert.Equal(2, server.TcpEndPoints.Count);
    }

    [Fact]
    public async Task ResponseEndsWithAValidFingerprint()
    {
        await using var server = await ServerFixture.StartAsync(ServerFixture.Loopback(IPAddress.Loopback));
        using var socket = ServerFixture.UdpSocket(IPAddress.Loopback);

        var (response, _) = await ServerFixture.ExchangeAsync(socket, ServerFixture.BindingRequest(TransactionId.NewRandom()), server.UdpEndPoints[0]);

        var reader = StunMessageReader.Parse(response);
        Assert.Equal(StunMessageType.BindingSuccess, reader.Type);
        Assert.True(reader.HasFingerprint);
        Assert.True(reader.VerifyFingerprint());
    }

    [Fact]
    public async Task UnknownComprehensionRequiredAttributeGets420WithUnknownAttributes()
    {
        await using var server = await ServerFixture.StartAsync(ServerFixture.Loopback(IPAddress.Loopback));
        using var socket = ServerFixture.UdpSocket(IPAddress.Loopback);
        const ushort Unknown = 0x7F01;

        var (response, _) = await ServerFixture.ExchangeAsync(socket, ServerFixture.BindingRequest(TransactionId.NewRandom(), Unknown), server.UdpEndPoints[0]);

        var reader = StunMessageReader.Parse(response);
        Assert.Equal(StunMessageType.BindingError, reader.Type);
        Assert.True(reader.TryGetErrorCode(out int code, out _));
        Assert.Equal(420, code);
        var unknown = new ushort[4];
        Assert.Equal(1, reader.CopyUnknownAttributes(unknown));
        Assert.Equal(Unknown, unknown[0]);
    }

    [Fact]
    public async Task UnknownComprehensionOptionalAttributeIsIgnored()
    {
        await using var server = await ServerFixture.StartAsync(ServerFixture.Loopback(IPAddress.Loopback));
        using var socket = ServerFixture.UdpSocket(IPAddress.Loopback);

        var (response, _) = await ServerFixture.ExchangeAsync(socket, ServerFixture.BindingRequest(TransactionId.NewRandom(), 0xC0DE), server.UdpEndPoints[0]);

        Assert.Equal(StunMessageType.BindingSuccess, StunMessageReader.Parse(response).Type);
    }

    [Fact]
    public async Task IndicationIsNotAnswered()
    {
        await using var server = await ServerFixture.StartAsync(ServerFixture.Loopback(IPAddress.Loopback));
        using var probe = new CounterProbe(server.Meter, "peerconnect.stun.ignored");
        using var socket = ServerFixture.UdpSocket(IPAddress.Loopback);
        var indication = ServerFixture.BindingRequest(TransactionId.NewRandom(), messageClass: StunMessageClass.Indication);
        await socket.SendToAsync(indication, SocketFlags.None, server.UdpEndPoints[0]);

        // The first answer on the socket is the request's, not the indication's.
        var request = TransactionId.NewRandom();
        var (response, _) = await ServerFixture.ExchangeAsync(socket, ServerFixture.BindingRequest(request), server.UdpEndPoints[0]);

        Assert.Equal(request, StunMessageReader.Parse(response).TransactionId);
        Assert.True(probe.Total >= 1);
    }

    [Fact]
    public async Task OtherMethodsGet400WithoutAHandler()
    {
        await using var server = await ServerFixture.StartAsync(ServerFixture.Loopback(IPAddress.Loopback));
        using var socket = ServerFixture.UdpSocket(IPAddress.Loopback);

        var (response, _) = await ServerFixture.ExchangeAsync(socket, ServerFixture.BindingRequest(TransactionId.NewRandom(), method: StunMethod.Allocate), server.UdpEndPoints[0]);

        var reader = StunMessageReader.Parse(response);
        Assert.Equal(new StunMessageType(StunMethod.Allocate, StunMessageClass.ErrorResponse), reader.Type);
        Assert.True(reader.TryGetErrorCode(out int code, out _));
        Assert.Equal(400, code);
    }

    [Fact]
    public async Task OtherMethodsGoToTheHandler()
    {
        var handler = new EchoHandler();
        await using var server = await ServerFixture.StartAsync(ServerFixture.Loopback(IPAddress.Loopback), handler);
        using var socket = ServerFixture.UdpSocket(IPAddress.Loopback);

        var (response, _) = await ServerFixture.ExchangeAsync(socket, ServerFixture.BindingRequest(TransactionId.NewRandom(), method: StunMethod.Refresh), server.UdpEndPoints[0]);

        Assert.Equal(new StunMessageType(StunMethod.Refresh, StunMessageClass.SuccessResponse), StunMessageReader.Parse(response).Type);
        Assert.Equal(new StunRequestContext(StunTransportProtocol.Udp, (IPEndPoint)socket.LocalEndPoint!), handler.LastContext);
    }

    [Fact]
    public async Task ChangeRequestWithoutAlternateAddressGets420()
    {
        await using var server = await ServerFixture.StartAsync(ServerFixture.Loopback(IPAddress.Loopback));
        await using var client = StunClient.CreateUdp(AddressFamily.InterNetwork);

        var error = await Assert.ThrowsAsync<StunErrorResponseException>(
            () => client.BindingAsync(server.UdpEndPoints[0], new BindingRequestOptions { ChangePort = true }).WaitAsync(ServerFixture.Patience));

        Assert.Equal(420, error.ErrorCode);
    }

    [Fact]
    public async Task ThousandMalformedDatagramsAreDroppedAndCountedAndTheLoopGoesOn()
    {
        await using var server = await ServerFixture.StartAsync(ServerFixture.Loopback(IPAddress.Loopback) with { ReceiveLoops = 1 });
        using var malformed = new CounterProbe(server.Meter, "peerconnect.stun.malformed");
        using var socket = ServerFixture.UdpSocket(IPAddress.Loopback);
        var random = new Random(5780);
        var valid = ServerFixture.BindingRequest(TransactionId.NewRandom());
        for (int i = 0; i < 1000; i++)
        {
            byte[] datagram;
            if (i % 2 == 0)
            {
                datagram = new byte[random.Next(1, 600)];
                random.NextBytes(datagram);
            }
            else
            {
                // A real request with a few bytes flipped and a cut at a random length: mostly wrong lengths and bad fingerprints.
                datagram = valid.AsSpan(0, random.Next(1, valid.Length + 1)).ToArray();
                datagram[random.Next(datagram.Length)] ^= (byte)random.Next(1, 256);
            }
            await socket.SendToAsync(datagram, SocketFlags.None, server.UdpEndPoints[0]);
        }

        var id = TransactionId.NewRandom();
        var (response, _) = await ServerFixture.ExchangeAsync(socket, ServerFixture.BindingRequest(id), server.UdpEndPoints[0]);

        Assert.Equal(id, StunMessageReader.Parse(response).TransactionId);
        Assert.True(malformed.Total > 0, "the malformed counter did not rise");
    }

    [Fact]
    public async Task GarbageOnTcpClosesThatConnectionOnly()
    {
        await using var server = await ServerFixture.StartAsync(ServerFixture.Loopback(IPAddress.Loopback));
        using var malformed = new CounterProbe(server.Meter, "peerconnect.stun.malformed");
        using (var garbage = new TcpClient())
        {
            await garbage.ConnectAsync(server.TcpEndPoints[0]);
            var stream = garbage.GetStream();
            await stream.WriteAsync(new byte[64].Select((_, i) => (byte)(0xFF - i)).ToArray());
            Assert.Equal(0, await stream.ReadAsync(new byte[16]).AsTask().WaitAsync(ServerFixture.Patience));
        }

        await using var client = await StunStreamClient.ConnectAsync(server.TcpEndPoints[0]);
        var result = await client.BindingAsync().WaitAsync(ServerFixture.Patience);

        Assert.Equal(client.LocalEndPoint, result.MappedAddress);
        Assert.True(malformed.Total >= 1);
    }

    [Fact]
    public void InvalidOptionsAreRejectedBeforeBinding()
    {
        Assert.Throws<ArgumentException>(() => new StunServer(new StunServerOptions { ListenAddresses = [] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StunServer(new StunServerOptions { Port = 70000 }));
        Assert.Throws<ArgumentException>(() => new StunServer(new StunServerOptions { AlternateAddress = IPAddress.Parse("127.0.0.2") }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StunServer(new StunServerOptions { ReceiveLoops = 0 }));
    }

    private sealed class EchoHandler : IStunMethodHandler
    {
        public StunRequestContext LastContext { get; private set; }

        public int HandleRequest(StunRequestContext context, StunMessageReader request, Span<byte> response)
        {
            LastContext = context;
            var writer = new StunMessageWriter(response, new StunMessageType(request.Method, StunMessageClass.SuccessResponse), request.TransactionId);
            return writer.Length;
        }
    }
}
