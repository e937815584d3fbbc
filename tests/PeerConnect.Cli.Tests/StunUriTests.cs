using PeerConnect.Stun.Transport;

namespace PeerConnect.Cli.Tests;

/// <summary>RFC 7064 STUN URIs as the probe reads them.</summary>
public sealed class StunUriTests
{
    [Theory]
    [InlineData("stun:127.0.0.1:3478", "127.0.0.1", 3478, StunTransportProtocol.Udp)]
    [InlineData("stun:[::1]:3479", "::1", 3479, StunTransportProtocol.Udp)]
    [InlineData("stun:stun.example.org", "stun.example.org", 3478, StunTransportProtocol.Udp)]
    [InlineData("STUN:example.org?transport=tcp", "example.org", 3478, StunTransportProtocol.Tcp)]
    [InlineData("stuns:example.org", "example.org", 5349, StunTransportProtocol.Tls)]
    [InlineData("stun:[::1]", "::1", 3478, StunTransportProtocol.Udp)]
    public void ParsesHostPortAndTransport(string text, string host, int port, StunTransportProtocol transport) =>
        Assert.Equal(new StunUri(host, port, transport), StunUri.Parse(text));

    [Theory]
    [InlineData("stun://example.org")]
    [InlineData("turn:example.org")]
    [InlineData("stun:example.org:0")]
    [InlineData("stun:[::1")]
    [InlineData("stuns:example.org?transport=udp")]
    [InlineData("stun:exa mple.org")]
    public void RejectsMalformedUris(string text) => Assert.Throws<FormatException>(() => StunUri.Parse(text));
}
