using System.Diagnostics.Metrics;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Stun.Server;

/// <summary>The server's counters on the <c>PeerConnect.Stun</c> meter (exported by the PeerConnect host at <c>/metrics</c>).</summary>
internal sealed class StunServerMetrics : IDisposable
{
    /// <summary>The meter name; the host exports every meter named <c>PeerConnect.*</c>.</summary>
    public const string MeterName = "PeerConnect.Stun";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _errorResponses;
    private readonly Counter<long> _malformed;
    private readonly Counter<long> _ignored;
    private readonly Counter<long> _sendFailures;
    private readonly UpDownCounter<long> _streamConnections;
    private readonly Counter<long> _rejectedConnections;

    public StunServerMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _requests = _meter.CreateCounter<long>("peerconnect.stun.requests", "{request}", "STUN requests answered, by transport.");
        _errorResponses = _meter.CreateCounter<long>("peerconnect.stun.error_responses", "{response}", "Error responses sent, by code.");
        _malformed = _meter.CreateCounter<long>("peerconnect.stun.malformed", "{message}", "Datagrams and framed messages dropped because they are not valid STUN.");
        _ignored = _meter.CreateCounter<long>("peerconnect.stun.ignored", "{message}", "Valid STUN messages left unanswered: indications and stray responses.");
        _sendFailures = _meter.CreateCounter<long>("peerconnect.stun.send_failures", "{response}", "Responses the socket refused to send.");
        _streamConnections = _meter.CreateUpDownCounter<long>("peerconnect.stun.stream_connections", "{connection}", "Open TCP and TLS connections.");
        _rejectedConnections = _meter.CreateCounter<long>("peerconnect.stun.rejected_connections", "{connection}", "TCP and TLS connections closed on accept because MaxStreamConnections was reached.");
    }

    public Meter Meter => _meter;

    public void Request(StunTransportProtocol transport) => _requests.Add(1, Tag(transport));

    public void ErrorResponse(int code) => _errorResponses.Add(1, new KeyValuePair<string, object?>("code", BoxedCode(code)));

    public void Malformed(StunTransportProtocol transport) => _malformed.Add(1, Tag(transport));

    public void Ignored(StunTransportProtocol transport) => _ignored.Add(1, Tag(transport));

    public void SendFailure(StunTransportProtocol transport) => _sendFailures.Add(1, Tag(transport));

    public void StreamConnectionOpened(StunTransportProtocol transport) => _streamConnections.Add(1, Tag(transport));

    public void StreamConnectionClosed(StunTransportProtocol transport) => _streamConnections.Add(-1, Tag(transport));

    public void ConnectionRejected(StunTransportProtocol transport) => _rejectedConnections.Add(1, Tag(transport));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    // Tag values are boxed once here, not per packet.
    private static readonly object UdpTag = "udp";
    private static readonly object TcpTag = "tcp";
    private static readonly object TlsTag = "tls";
    private static readonly object[] Codes = [.. Enumerable.Range(300, 400).Select(c => (object)c)];

    private static KeyValuePair<string, object?> Tag(StunTransportProtocol transport) =>
        new("transport", transport switch
        {
            StunTransportProtocol.Udp => UdpTag,
            StunTransportProtocol.Tcp => TcpTag,
            _ => TlsTag,
        });

    private static object BoxedCode(int code) => code is >= 300 and < 700 ? Codes[code - 300] : code;
}
