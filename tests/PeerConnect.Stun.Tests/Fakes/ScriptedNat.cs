using System.Net;
using PeerConnect.Stun.NatBehavior;

namespace PeerConnect.Stun.Tests.Fakes;

/// <summary>
/// Plays an RFC 5780 server (primary 192.0.2.1, alternate 192.0.2.2, ports 3478 and 3479) behind a NAT with the
/// given mapping and filtering, answering the client's sends on a <see cref="FakeDatagramTransport"/>.
/// </summary>
internal sealed class ScriptedNat
{
    public static readonly IPEndPoint Primary = new(IPAddress.Parse("192.0.2.1"), 3478);
    private static readonly IPAddress PublicAddress = IPAddress.Parse("203.0.113.5");
    private static readonly IPEndPoint[] Quartet =
    [
        Primary,
        new(IPAddress.Parse("192.0.2.1"), 3479),
        new(IPAddress.Parse("192.0.2.2"), 3478),
        new(IPAddress.Parse("192.0.2.2"), 3479),
    ];

    private readonly FakeDatagramTransport _transport;
    private readonly NatMappingBehavior _mapping;
    private readonly NatFilteringBehavior _filtering;
    private readonly HashSet<IPEndPoint> _contacted = [];

    public ScriptedNat(FakeDatagramTransport transport, NatMappingBehavior mapping, NatFilteringBehavior filtering)
    {
        _transport = transport;
        _mapping = mapping;
        _filtering = filtering;
        transport.OnSend = OnSend;
    }

    private void OnSend(SentDatagram sent)
    {
        int index = Array.IndexOf(Quartet, sent.To);
        Assert.True(index >= 0, $"sent to {sent.To}, which is not the server");
        int ip = index / 2, port = index % 2;
        var request = StunMessageReader.Parse(sent.Data);
        request.TryGetChangeRequest(out bool changeIp, out bool changePort);
        var source = Quartet[((ip ^ (changeIp ? 1 : 0)) * 2) + (port ^ (changePort ? 1 : 0))];
        var other = Quartet[((ip ^ 1) * 2) + (port ^ 1)];
        var mapped = _mapping switch
        {
            NatMappingBehavior.NoNat => _transport.LocalEndPoint,
            NatMappingBehavior.EndpointIndependent => new IPEndPoint(PublicAddress, 40000),
            NatMappingBehavior.AddressDependent => new IPEndPoint(PublicAddress, 40000 + ip),
            _ => new IPEndPoint(PublicAddress, 40000 + index),
        };
        bool allowed;
        lock (_contacted)
        {
            _contacted.Add(sent.To);
            allowed = _filtering switch
            {
                NatFilteringBehavior.EndpointIndependent => true,
                NatFilteringBehavior.AddressDependent => _contacted.Any(c => c.Address.Equals(source.Address)),
                _ => _contacted.Contains(source),
            };
        }
        if (allowed)
        {
            _transport.Deliver(TestMessages.BindingSuccess(request.TransactionId, mapped, other), source);
        }
    }
}
