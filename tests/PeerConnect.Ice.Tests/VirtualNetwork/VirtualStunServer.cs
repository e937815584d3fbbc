using System.Net;
using PeerConnect.Stun;

namespace PeerConnect.Ice.Tests.VirtualNetwork;

/// <summary>Answers Binding requests with XOR-MAPPED-ADDRESS (RFC 8489 §14.2) on a public virtual host.</summary>
public sealed class VirtualStunServer : IAsyncDisposable
{
    private readonly VirtualSocket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public VirtualStunServer(VirtualHost host, int port = 3478)
    {
        _socket = host.Bind(port);
        _loop = Task.Run(RunAsync);
    }

    public IPEndPoint EndPoint => _socket.LocalEndPoint;

    private async Task RunAsync()
    {
        var buffer = new byte[1500];
        var response = new byte[512];
        try
        {
            while (true)
            {
                var r = await _socket.ReceiveAsync(buffer, _stop.Token);
                int length = Answer(buffer.AsSpan(0, r.Count), response, r.RemoteEndPoint);
                if (length > 0)
                {
                    await _socket.SendAsync(response.AsMemory(0, length), r.RemoteEndPoint);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static int Answer(ReadOnlySpan<byte> request, Span<byte> response, IPEndPoint source)
    {
        if (!StunMessageReader.TryParse(request, out var message, out _) || message.Type != StunMessageType.BindingRequest)
        {
            return 0;
        }

        var w = new StunMessageWriter(response, StunMessageType.BindingSuccess, message.TransactionId);
        w.WriteXorAddress(StunAttributeType.XorMappedAddress, source);
        w.WriteFingerprint();
        return w.Length;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        await _socket.DisposeAsync();
        _stop.Dispose();
    }
}
