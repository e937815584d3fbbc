using System.Diagnostics.Metrics;

namespace PeerConnect.Server.Signaling;

/// <summary>The <c>PeerConnect.Signaling</c> meter, exported at <c>/metrics</c>.</summary>
internal sealed class SignalingMetrics
{
    public const string MeterName = "PeerConnect.Signaling";

    private static readonly double[] LatencyBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    public SignalingMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        Connections = meter.CreateUpDownCounter<long>("peerconnect.signaling.connections", "{connection}", "Open WebSocket connections.");
        Sessions = meter.CreateUpDownCounter<long>("peerconnect.signaling.sessions", "{session}", "Sessions, connected or waiting for a resume.");
        Rooms = meter.CreateUpDownCounter<long>("peerconnect.signaling.rooms", "{room}", "Rooms with at least one member.");
        MessagesReceived = meter.CreateCounter<long>("peerconnect.signaling.messages.received", "{message}", "Client messages received, by type.");
        MessagesSent = meter.CreateCounter<long>("peerconnect.signaling.messages.sent", "{message}", "Server messages written, by type.");
        Resumes = meter.CreateCounter<long>("peerconnect.signaling.resumes", "{resume}", "Resume attempts, by result (resumed, failed).");
        Errors = meter.CreateCounter<long>("peerconnect.signaling.errors", "{error}", "Error messages sent, by code.");
        HandshakesRefused = meter.CreateCounter<long>("peerconnect.signaling.handshakes.refused", "{handshake}", "Opening handshakes the WebSocket listener refused or lost, by reason (HTTP status, timeout, closed).");
        RelayLatency = meter.CreateHistogram(
            "peerconnect.signaling.relay.duration",
            "s",
            "Time from reading a signal to writing it to the receiver's socket.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
    }

    public UpDownCounter<long> Connections { get; }

    public UpDownCounter<long> Sessions { get; }

    public UpDownCounter<long> Rooms { get; }

    public Counter<long> MessagesReceived { get; }

    public Counter<long> MessagesSent { get; }

    public Counter<long> Resumes { get; }

    public Counter<long> Errors { get; }

    public Counter<long> HandshakesRefused { get; }

    public Histogram<double> RelayLatency { get; }
}
