using System.Net;
using Microsoft.Extensions.Time.Testing;
using PeerConnect.Stun.Client;
using PeerConnect.Stun.Tests.Fakes;

namespace PeerConnect.Stun.Tests;

/// <summary>RFC 8489 §6.2.1 retransmission rules, stepped on a fake clock over a fake datagram transport.</summary>
public sealed class ClientTransactionTests : IAsyncDisposable
{
    private static readonly IPEndPoint Server = new(IPAddress.Parse("192.0.2.1"), 3478);
    private static readonly IPEndPoint Mapped = new(IPAddress.Parse("198.51.100.7"), 40000);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeDatagramTransport _transport;
    private readonly StunClient _client;
    private readonly DateTimeOffset _start;

    public ClientTransactionTests()
    {
        _start = _time.GetUtcNow();
        _transport = new FakeDatagramTransport(_time, new IPEndPoint(IPAddress.Parse("10.0.0.2"), 5000));
        _client = new StunClient(_transport, timeProvider: _time);
    }

    public async ValueTask DisposeAsync() => await _client.DisposeAsync();

    /// <summary>FakeTimeProvider fires a due timer once per Advance, at the end time; small steps put each send at its own instant.</summary>
    private void AdvanceMillisecondByMillisecond(int milliseconds)
    {
        for (int i = 0; i < milliseconds; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }
    }

    [Fact]
    public async Task UdpRequestIsSentAtRfcIntervalsAndTimesOutAt39500Ms()
    {
        var transaction = _client.BindingAsync(Server);

        AdvanceMillisecondByMillisecond(39_499);
        Assert.False(transaction.IsCompleted);
        AdvanceMillisecondByMillisecond(1);

        await Assert.ThrowsAsync<StunTimeoutException>(() => transaction.WaitAsync(Patience));
        long[] sentAt = [.. _transport.Sent.Select(s => (long)(s.At - _start).TotalMilliseconds)];
        Assert.Equal([0, 500, 1500, 3500, 7500, 15500, 31500], sentAt);
        Assert.All(_transport.Sent, s => Assert.Equal(Server, s.To));
        Assert.Single(_transport.Sent.Select(s => Convert.ToHexString(s.Data)).Distinct());
    }

    [Fact]
    public async Task ResponseStopsRetransmissions()
    {
        var transaction = _client.BindingAsync(Server);
        _time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(2, _transport.Sent.Count);

        _transport.Deliver(TestMessages.BindingSuccess(TestMessages.IdOf(_transport.Sent[0].Data), Mapped), Server);
        var result = await transaction.WaitAsync(Patience);

        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(2, _transport.Sent.Count);
        Assert.Equal(Mapped, result.MappedAddress);
        Assert.Equal(Server, result.ResponseSource);
    }

    [Fact]
    public async Task ResponseWithWrongTransactionIdIsIgnored()
    {
        var transaction = _client.BindingAsync(Server);
        await _transport.WaitForReceiveCallsAsync(1);

        _transport.Deliver(TestMessages.BindingSuccess(TransactionId.NewRandom(), Mapped), Server);
        await _transport.WaitForReceiveCallsAsync(1);
        Assert.False(transaction.IsCompleted);

        _time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(2, _transport.Sent.Count);

        _transport.Deliver(TestMessages.BindingSuccess(TestMessages.IdOf(_transport.Sent[0].Data), Mapped), Server);
        Assert.Equal(Mapped, (await transaction.WaitAsync(Patience)).MappedAddress);
    }

    [Fact]
    public async Task ResponseFromAnotherAddressIsAcceptedByTransactionId()
    {
        var other = new IPEndPoint(IPAddress.Parse("192.0.2.2"), 3479);
        var transaction = _client.BindingAsync(Server);

        _transport.Deliver(TestMessages.BindingSuccess(TestMessages.IdOf(_transport.Sent[0].Data), Mapped), other);

        Assert.Equal(other, (await transaction.WaitAsync(Patience)).ResponseSource);
    }

    [Fact]
    public async Task CancellationEndsTheTransactionAndStopsRetransmissions()
    {
        using var cancel = new CancellationTokenSource();
        var transaction = _client.BindingAsync(Server, cancel.Token);
        _time.Advance(TimeSpan.FromMilliseconds(500));

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => transaction.WaitAsync(Patience));
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(2, _transport.Sent.Count);
    }

    [Fact]
    public async Task RoundTripTimeIsMeasuredOnTheInjectedClock()
    {
        var transaction = _client.BindingAsync(Server);
        _time.Advance(TimeSpan.FromMilliseconds(120));

        _transport.Deliver(TestMessages.BindingSuccess(TestMessages.IdOf(_transport.Sent[0].Data), Mapped), Server);

        Assert.Equal(TimeSpan.FromMilliseconds(120), (await transaction.WaitAsync(Patience)).RoundTripTime);
    }

    [Fact]
    public async Task ErrorResponseSurfacesItsCode()
    {
        var transaction = _client.BindingAsync(Server);
        var buffer = new byte[128];
        var writer = new StunMessageWriter(buffer, StunMessageType.BindingError, TestMessages.IdOf(_transport.Sent[0].Data));
        writer.WriteErrorCode(StunErrorCodes.BadRequest, "Bad Request");
        _transport.Deliver(buffer.AsSpan(0, writer.Length).ToArray(), Server);

        var error = await Assert.ThrowsAsync<StunErrorResponseException>(() => transaction.WaitAsync(Patience));
        Assert.Equal(400, error.ErrorCode);
    }

    [Fact]
    public async Task CustomTimersFollowTheSameSchedule()
    {
        await using var client = new StunClient(
            _transport,
            new StunClientOptions { InitialRetransmissionTimeout = TimeSpan.FromMilliseconds(100), MaxTransmissions = 3, LastWaitMultiplier = 4 },
            _time);
        var transaction = client.BindingAsync(Server);

        AdvanceMillisecondByMillisecond(700);

        await Assert.ThrowsAsync<StunTimeoutException>(() => transaction.WaitAsync(Patience));
        Assert.Equal([0L, 100, 300], _transport.Sent.Select(s => (long)(s.At - _start).TotalMilliseconds));
    }

    [Fact]
    public async Task DisposingTheClientFailsPendingTransactions()
    {
        var transaction = _client.BindingAsync(Server);

        await _client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => transaction.WaitAsync(Patience));
    }
}
