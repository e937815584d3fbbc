using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PeerConnect.Stun.Server;
using PeerConnect.Turn.Server;

namespace PeerConnect.Testing;

/// <summary>
/// Our TURN server on our STUN listener, on 127.0.0.1 with UDP, TCP and TLS on ephemeral ports, relaying to loopback
/// peers (linked into each test project that runs a client against our own server). TLS uses a fresh self-signed
/// certificate that only <see cref="TrustsCertificate"/> accepts.
/// </summary>
internal sealed class LoopbackTurnServer : IAsyncDisposable
{
    private readonly X509Certificate2 _certificate;

    private LoopbackTurnServer(X509Certificate2 certificate, TurnServer turn, StunServer stun)
    {
        _certificate = certificate;
        Turn = turn;
        Stun = stun;
    }

    public TurnServer Turn { get; }

    public StunServer Stun { get; }

    /// <summary>Accepts exactly this server's certificate, for a client's TLS validation callback.</summary>
    public RemoteCertificateValidationCallback TrustsCertificate =>
        (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == _certificate.GetCertHashString();

    /// <summary>Starts a server for <paramref name="users"/> (user → password), with an optional REST <paramref name="authSecret"/>.</summary>
    public static async Task<LoopbackTurnServer> StartAsync(IReadOnlyDictionary<string, string> users, string? authSecret = null)
    {
        var certificate = SelfSigned();
        var turn = new TurnServer(new TurnServerOptions
        {
            Users = new Dictionary<string, string>(users),
            AuthSecret = authSecret,
            // The peers and the other side's relayed address are on 127.0.0.1: the server must relay to loopback.
            AllowLoopbackPeers = true,
            RelayAddress = IPAddress.Loopback,
        });
        var stun = new StunServer(
            new StunServerOptions { ListenAddresses = [IPAddress.Loopback], Port = 0, TlsPort = 0, Certificate = certificate, ReceiveLoops = 1 },
            packetHandler: new TurnPacketHandler(turn));
        await stun.StartAsync();
        return new LoopbackTurnServer(certificate, turn, stun);
    }

    public async ValueTask DisposeAsync()
    {
        await Stun.DisposeAsync();
        await Turn.DisposeAsync();
        _certificate.Dispose();
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Round-trip through PKCS#12 so SslStream gets a private key it can use on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }
}
