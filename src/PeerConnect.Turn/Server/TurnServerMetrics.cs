using System.Diagnostics.Metrics;

namespace PeerConnect.Turn.Server;

/// <summary>The <c>PeerConnect.Turn</c> meter: what an operator watches on a TURN server.</summary>
internal sealed class TurnServerMetrics : IDisposable
{
    public const string MeterName = "PeerConnect.Turn";

    private static readonly KeyValuePair<string, object?> ToPeer = new("direction", "to_peer");
    private static readonly KeyValuePair<string, object?> ToClient = new("direction", "to_client");

    private readonly UpDownCounter<long> _allocations;
    private readonly UpDownCounter<long> _permissions;
    private readonly UpDownCounter<long> _channels;
    private readonly Counter<long> _packets;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _authFailures;
    private readonly Counter<long> _quotaRejections;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _tcpOpened;
    private readonly UpDownCounter<long> _tcpConnections;
    private readonly Counter<long> _tcpBytes;
    private readonly bool _ownsMeter;

    public TurnServerMetrics(IMeterFactory? meterFactory)
    {
        Meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _ownsMeter = meterFactory is null;
        _allocations = Meter.CreateUpDownCounter<long>("peerconnect.turn.allocations", "{allocation}", "Allocations held.");
        _permissions = Meter.CreateUpDownCounter<long>("peerconnect.turn.permissions", "{permission}", "Permissions installed.");
        _channels = Meter.CreateUpDownCounter<long>("peerconnect.turn.channels", "{channel}", "Channels bound.");
        _packets = Meter.CreateCounter<long>("peerconnect.turn.relayed.packets", "{packet}", "Datagrams relayed, by direction.");
        _bytes = Meter.CreateCounter<long>("peerconnect.turn.relayed.bytes", "By", "Application bytes relayed, by direction.");
        _dropped = Meter.CreateCounter<long>("peerconnect.turn.dropped.packets", "{packet}", "Datagrams not relayed, by reason.");
        _authFailures = Meter.CreateCounter<long>("peerconnect.turn.auth.failures", "{request}", "Requests refused for credentials, by reason.");
        _quotaRejections = Meter.CreateCounter<long>("peerconnect.turn.quota.rejections", "{request}", "Allocate requests refused for quota or capacity.");
        _errors = Meter.CreateCounter<long>("peerconnect.turn.error.responses", "{response}", "Error responses, by code.");
        _tcpOpened = Meter.CreateCounter<long>("peerconnect.turn.tcp.connections.opened", "{connection}", "Peer data connections of TCP allocations opened (RFC 6062), by origin: connect or peer.");
        _tcpConnections = Meter.CreateUpDownCounter<long>("peerconnect.turn.tcp.connections", "{connection}", "Peer data connections of TCP allocations held, pending or bound.");
        _tcpBytes = Meter.CreateCounter<long>("peerconnect.turn.tcp.relayed.bytes", "By", "Bytes piped between client and peer data connections, by direction.");
    }

    public Meter Meter { get; }

    public void AllocationAdded() => _allocations.Add(1);

    public void AllocationRemoved() => _allocations.Add(-1);

    public void PermissionsChanged(int delta) => _permissions.Add(delta);

    public void ChannelsChanged(int delta) => _channels.Add(delta);

    public void RelayedToPeer(int bytes)
    {
        _packets.Add(1, ToPeer);
        _bytes.Add(bytes, ToPeer);
    }

    public void RelayedToClient(int bytes)
    {
        _packets.Add(1, ToClient);
        _bytes.Add(bytes, ToClient);
    }

    public void Dropped(string reason) => _dropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void AuthFailure(string reason) => _authFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void QuotaRejected(string kind) => _quotaRejections.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void ErrorResponse(int code) => _errors.Add(1, new KeyValuePair<string, object?>("code", code));

    public void TcpConnectionOpened(bool fromConnect)
    {
        _tcpOpened.Add(1, new KeyValuePair<string, object?>("origin", fromConnect ? "connect" : "peer"));
        _tcpConnections.Add(1);
    }

    public void TcpConnectionClosed() => _tcpConnections.Add(-1);

    public void TcpRelayed(int bytes, bool toPeer) => _tcpBytes.Add(bytes, toPeer ? ToPeer : ToClient);

    public void Dispose()
    {
        if (_ownsMeter)
        {
            Meter.Dispose();
        }
    }
}
