using PeerConnect.Ice.Servers;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Ice.Tests;

/// <summary>RFC 7064 / RFC 7065 URIs as they appear in RTCIceServer lists.</summary>
public class IceServerUriTests
{
    [Theory]
    [InlineData("stun:stun.example.org", IceServerKind.Stun, "stun.example.org", 3478, StunTransportProtocol.Udp)]
    [InlineData("stuns:stun.example.org", IceServerKind.Stun, "stun.example.org", 5349, StunTransportProtocol.Tls)]
    [InlineData("turn:198.51.100.7:3479", IceServerKind.Turn, "198.51.100.7", 3479, StunTransportProtocol.Udp)]
    [InlineData("turn:turn.example.org?transport=tcp", IceServerKind.Turn, "turn.example.org", 3478, StunTransportProtocol.Tcp)]
    [InlineData("turns:[2001:db8::1]:443?transport=tcp", IceServerKind.Turn, "2001:db8::1", 443, StunTransportProtocol.Tls)]
    public void SchemesPortsAndTransportsFollowRfc7065(string text, IceServerKind kind, string host, int port, StunTransportProtocol transport)
    {
        var uri = IceServerUri.Parse(text);
        Assert.Equal(new IceServerUri(kind, host, port, transport), uri);
        Assert.Equal(uri, IceServerUri.Parse(uri.ToString()));
    }

    [Theory]
    [InlineData("http://turn.example.org")]
    [InlineData("turn://turn.example.org")]
    [InlineData("turns:turn.example.org?transport=udp")]
    [InlineData("turn:2001:db8::1")]
    [InlineData("turn:host:0")]
    public void MalformedUrisAreRejectedWithAReason(string text) =>
        Assert.Throws<FormatException>(() => IceServerUri.Parse(text));
}
