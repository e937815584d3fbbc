using System.Net;
using System.Net.Sockets;
using PeerConnect.Stun;

namespace PeerConnect.Interop.Tests;

/// <summary>Our codec against coturn's: bytes coturn writes decode and verify here, and coturn answers what we write.</summary>
public sealed class CoturnStunCodecTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task CoturnAnswersOurBindingRequestWithOurMappedAddress(string address)
    {
        using CoturnServer coturn = await CoturnServer.StartAsync(IPAddress.Parse(address));
        using var socket = new Socket(coturn.EndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(coturn.EndPoint.Address, 0));
        var request = new byte[128];
        var id = TransactionId.NewRandom();
        int requestLength = WriteRequest(request, id);

        var response = new byte[1500];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int received = 0;
        while (received == 0)
        {
            await socket.SendToAsync(request.AsMemory(0, requestLength), coturn.EndPoint, timeout.Token);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            attempt.CancelAfter(TimeSpan.FromMilliseconds(500));
            try
            {
                received = await socket.ReceiveAsync(response, SocketFlags.None, attempt.Token);
            }
            catch (OperationCanceledException) when (!timeout.IsCancellationRequested)
            {
            }
        }

        var reader = StunMessageReader.Parse(response.AsSpan(0, received));
        Assert.Equal(StunMessageType.BindingSuccess, reader.Type);
        Assert.Equal(id, reader.TransactionId);
        Assert.True(reader.TryGetXorAddress(StunAttributeType.XorMappedAddress, out IPEndPoint mapped));
        Assert.Equal((IPEndPoint)socket.LocalEndPoint!, mapped);
        Assert.True(reader.TryGetString(StunAttributeType.Software, out string software));
        Assert.Contains("Coturn", software, StringComparison.OrdinalIgnoreCase);
        Assert.True(reader.VerifyFingerprint());
    }

    private static int WriteRequest(byte[] buffer, TransactionId id)
    {
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingRequest, id);
        writer.WriteString(StunAttributeType.Software, "PeerConnect interop test");
        writer.WriteFingerprint();
        return writer.Length;
    }
}
