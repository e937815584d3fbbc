using System.Net;
using System.Threading.Channels;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Stun.Tests.Fakes;

/// <summary>
/// A datagram transport that records sends (with the fake clock's time) and delivers datagrams the test injects.
/// </summary>
internal sealed class FakeDatagramTransport(TimeProvider time, IPEndPoint local) : IDatagramTransport
{
    private readonly Channel<(byte[] Data, IPEndPoint From)> _inbound = Channel.CreateUnbounded<(byte[], IPEndPoint)>();
    private readonly List<SentDatagram> _sent = [];
    private readonly SemaphoreSlim _receiveCalls = new(0);
    private int _delivered;
    private int _receiveEntries;

    public IPEndPoint LocalEndPoint { get; } = local;

    /// <summary>Called for each send, after it is recorded; lets a test play the server.</summary>
    public Action<SentDatagram>? OnSend { get; set; }

    public IReadOnlyList<SentDatagram> Sent
    {
        get
        {
            lock (_sent)
            {
                return [.. _sent];
            }
        }
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken = default)
    {
        var sent = new SentDatagram(datagram.ToArray(), (IPEndPoint)remote, time.GetUtcNow());
        lock (_sent)
        {
            _sent.Add(sent);
        }
        OnSend?.Invoke(sent);
        return ValueTask.CompletedTask;
    }

    public void Deliver(byte[] datagram, IPEndPoint from)
    {
        Interlocked.Increment(ref _delivered);
        _inbound.Writer.TryWrite((datagram, from));
    }

    /// <summary>True when every delivered datagram has been handled: the reader has come back for one more than were delivered.</summary>
    public bool AllDelivered => Volatile.Read(ref _receiveEntries) == Volatile.Read(ref _delivered) + 1;

    /// <summary>Waits until the reader has asked for <paramref name="count"/> datagrams in all, i.e. handled all but the last.</summary>
    public async Task WaitForReceiveCallsAsync(int count)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.True(await _receiveCalls.WaitAsync(TimeSpan.FromSeconds(10)), "the receive loop did not come back");
        }
    }

    public async ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _receiveEntries);
        _receiveCalls.Release();
        var (data, from) = await _inbound.Reader.ReadAsync(cancellationToken);
        data.AsSpan(0, Math.Min(data.Length, buffer.Length)).CopyTo(buffer.Span);
        return new DatagramReceiveResult(Math.Min(data.Length, buffer.Length), from);
    }

    public ValueTask DisposeAsync()
    {
        _inbound.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }
}

internal sealed record SentDatagram(byte[] Data, IPEndPoint To, DateTimeOffset At);
