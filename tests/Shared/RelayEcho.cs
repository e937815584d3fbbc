using System.Net;
using System.Net.Sockets;
using PeerConnect.Stun.Transport;
using PeerConnect.Turn.Client;

namespace PeerConnect.Testing;

/// <summary>
/// A UDP peer on loopback that echoes every datagram to its sender, and the send-until-echoed loop the TURN
/// end-to-end tests share (linked into each test project that relays through a TURN server).
/// </summary>
internal sealed class UdpEchoPeer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public UdpEchoPeer()
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _loop = EchoAsync();
    }

    public IPEndPoint EndPoint { get; }

    private int _echoed;

    /// <summary>Datagrams echoed so far.</summary>
    public int Echoed => Volatile.Read(ref _echoed);

    private async Task EchoAsync()
    {
        var buffer = new byte[65_536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (true)
            {
                SocketReceiveFromResult received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
                await _socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, received.RemoteEndPoint, _stop.Token);
                Interlocked.Increment(ref _echoed);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _loop;
        _stop.Dispose();
    }
}

internal static class RelayEcho
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>Sends <paramref name="count"/> payloads of varied (odd and even) lengths to the peer and checks each echo.</summary>
    public static async Task EchoAsync(TurnRelayTransport relay, IPEndPoint peer, string label, int count)
    {
        var buffer = new byte[2048];
        for (int i = 0; i < count; i++)
        {
            byte[] payload = Payload(label, i);
            DatagramReceiveResult echoed = await SendUntilEchoedAsync(relay, peer, payload, buffer);
            Xunit.Assert.Equal(peer, echoed.RemoteEndPoint);
            Xunit.Assert.Equal(payload, buffer[..echoed.Count]);
        }
    }

    // Loopback UDP rarely drops, but a datagram may still be lost; resend until this payload comes back.
    private static async Task<DatagramReceiveResult> SendUntilEchoedAsync(TurnRelayTransport relay, IPEndPoint peer, byte[] payload, byte[] buffer)
    {
        using var giveUp = new CancellationTokenSource(Patience);
        while (true)
        {
            await relay.SendAsync(payload, peer, giveUp.Token);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(giveUp.Token);
            attempt.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                while (true)
                {
                    DatagramReceiveResult received = await relay.ReceiveAsync(buffer, attempt.Token);
                    if (buffer.AsSpan(0, received.Count).SequenceEqual(payload))
                    {
                        return received;
                    }
                }
            }
            catch (OperationCanceledException) when (!giveUp.IsCancellationRequested)
            {
            }
        }
    }

    // Lengths 1..1200 with odd ones among them; the content names the round so a late echo cannot pass for another.
    private static byte[] Payload(string label, int index)
    {
        int length = index switch { 0 => 1, 1 => 1200, _ => 3 + (index * 61 % 1100) };
        byte[] payload = new byte[length];
        for (int i = 0; i < length; i++)
        {
            payload[i] = (byte)(i * 7 + index);
        }

        byte[] tag = System.Text.Encoding.ASCII.GetBytes($"{label}{index}:");
        tag.AsSpan(0, Math.Min(tag.Length, length)).CopyTo(payload);
        return payload;
    }
}
