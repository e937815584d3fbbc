using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PeerConnect.Server.Signaling;
using PeerConnect.Signaling.Protocol;
using PeerConnect.Signaling.Tests.Infrastructure;

namespace PeerConnect.Signaling.Tests.Server;

/// <summary>The hub's resume window and backlog rules on a virtual clock, without sockets.</summary>
public sealed class HubTests : IAsyncLifetime
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _clock = new();
    private readonly SignalingHub _hub;
    private readonly TestMeterFactory _meters = new();

    public HubTests()
    {
        var options = Options.Create(new SignalingOptions { ResumeWindow = Window, MaxUnackedMessages = 16 });
        _hub = new SignalingHub(options, new InMemorySignalingBackplane(), new SignalingMetrics(_meters), NullLogger<SignalingHub>.Instance, _clock);
    }

    public Task InitializeAsync() => _hub.StartAsync(CancellationToken.None);

    public async Task DisposeAsync()
    {
        await _hub.StopAsync(CancellationToken.None);
        _hub.Dispose();
        _meters.Dispose();
    }

    [Fact]
    public async Task AnAwaySessionEndsWhenTheWindowPassesAndSendersHearTheirSignalsExpired()
    {
        var (alice, bob, bobWelcome) = await PairAsync();
        _hub.Post(new DetachCommand(bob, EndSession: false));
        _hub.Post(new InboundCommand(alice, new SignalMessage(SignalKind.Offer) { To = bobWelcome.SessionId, Id = 77, Sdp = "v=0" }, 0));
        await PingAsync(alice);

        _clock.Advance(Window - TimeSpan.FromMilliseconds(1));
        await PingAsync(alice);
        _clock.Advance(TimeSpan.FromMilliseconds(2));

        var left = await alice.NextAsync<PeerLeftMessage>();
        Assert.Equal(PeerLeftReason.Expired, left.Reason);
        var expired = await alice.NextAsync<ExpiredMessage>();
        Assert.Equal((bobWelcome.SessionId, SignalKind.Offer, 77L), (expired.To, expired.Kind, expired.Ref));
    }

    [Fact]
    public async Task ResumingWithinTheWindowReplaysHeldMessagesAndCancelsTheExpiry()
    {
        var (alice, bob, bobWelcome) = await PairAsync();
        _hub.Post(new DetachCommand(bob, EndSession: false));
        _hub.Post(new InboundCommand(alice, new SignalMessage(SignalKind.App) { To = bobWelcome.SessionId, Data = "held" }, 0));
        await PingAsync(alice);
        _clock.Advance(Window / 2);

        var bobAgain = new FakeConnection();
        _hub.Post(new AttachCommand(bobAgain, SignalingPrincipal.Anonymous, _ => [], bobWelcome.ResumeToken, 1));
        var welcome = await bobAgain.NextAsync<WelcomeMessage>();
        Assert.True(welcome.Resumed);
        Assert.Equal("held", (await bobAgain.NextAsync<SignalMessage>()).Data);

        _clock.Advance(Window * 2);
        await PingAsync(alice);
        Assert.True(alice.IsEmpty);
    }

    [Fact]
    public async Task AnUnacknowledgedBacklogCostsTheConnectionThenTheSession()
    {
        var (alice, bob, bobWelcome) = await PairAsync();
        SignalMessage Signal() => new(SignalKind.Renegotiate) { To = bobWelcome.SessionId };

        // Bob holds his "joined" plus 16 signals: one over the limit of 16, so his connection goes but he may resume.
        for (var i = 0; i < 16; i++)
        {
            _hub.Post(new InboundCommand(alice, Signal(), 0));
        }

        await PingAsync(alice);
        Assert.Equal(SignalingCloseCodes.Backlog, await bob.Closed.Task.WaitAsync(Timeouts.Generous));
        Assert.True(alice.IsEmpty);

        // One more while he is away overflows what may be held for him: the session ends.
        _hub.Post(new InboundCommand(alice, Signal(), 0));
        Assert.Equal(PeerLeftReason.Expired, (await alice.NextAsync<PeerLeftMessage>()).Reason);
        var expired = await alice.NextAsync<ExpiredMessage>();
        Assert.Equal((bobWelcome.SessionId, SignalKind.Renegotiate), (expired.To, expired.Kind));
    }

    private async Task<(FakeConnection Alice, FakeConnection Bob, WelcomeMessage BobWelcome)> PairAsync()
    {
        var alice = new FakeConnection();
        var bob = new FakeConnection();
        _hub.Post(new AttachCommand(alice, SignalingPrincipal.Anonymous, _ => [], null, 0));
        _hub.Post(new AttachCommand(bob, SignalingPrincipal.Anonymous, _ => [], null, 0));
        await alice.NextAsync<WelcomeMessage>();
        var bobWelcome = await bob.NextAsync<WelcomeMessage>();
        _hub.Post(new InboundCommand(alice, new JoinMessage("r"), 0));
        await alice.NextAsync<JoinedMessage>();
        _hub.Post(new InboundCommand(bob, new JoinMessage("r"), 0));
        await bob.NextAsync<JoinedMessage>();
        await alice.NextAsync<PeerJoinedMessage>();
        return (alice, bob, bobWelcome);
    }

    /// <summary>Waits until the hub has handled everything posted before, by a ping round trip.</summary>
    private async Task PingAsync(FakeConnection connection)
    {
        _hub.Post(new InboundCommand(connection, new PingMessage(), 0));
        await connection.NextAsync<PongMessage>();
    }

    private sealed class FakeConnection : ISignalingConnection
    {
        private readonly Channel<SignalingMessage> _sent = Channel.CreateUnbounded<SignalingMessage>();

        public TaskCompletionSource<int> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsEmpty => !_sent.Reader.TryPeek(out _);

        // Numbered as the real connection writes it.
        public void Send(SignalingMessage message, long? seq = null, long relayStart = 0) =>
            _sent.Writer.TryWrite(seq is null ? message : message with { Seq = seq });

        public void Close(int closeStatus, string reason) => Closed.TrySetResult(closeStatus);

        public async Task<T> NextAsync<T>()
            where T : SignalingMessage =>
            Assert.IsType<T>(await _sent.Reader.ReadAsync().AsTask().WaitAsync(Timeouts.Generous));
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
