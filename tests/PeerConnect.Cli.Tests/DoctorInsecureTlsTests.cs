using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PeerConnect.Stun.Server;
using PeerConnect.Turn.Server;

namespace PeerConnect.Cli.Tests;

/// <summary><c>peerconnect doctor</c> against a turns: server on loopback whose certificate is self-signed.</summary>
public sealed class DoctorInsecureTlsTests : IAsyncLifetime, IDisposable
{
    private const string User = "alice";
    private const string Password = "wonderland";
    private readonly string _directory = Directory.CreateTempSubdirectory("peerconnect-doctor-tls-").FullName;
    private X509Certificate2 _certificate = null!;
    private TurnServer _turn = null!;
    private StunServer _server = null!;

    public async Task InitializeAsync()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=turn.test", key, HashAlgorithmName.SHA256);
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Export and re-import so SslStream gets a certificate with a usable private key on every platform.
        _certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
        _turn = new TurnServer(new TurnServerOptions { Users = new Dictionary<string, string> { [User] = Password }, RelayAddress = IPAddress.Loopback });
        _server = new StunServer(
            new StunServerOptions { ListenAddresses = [IPAddress.Loopback], Port = 0, TlsPort = 0, Certificate = _certificate, ReceiveLoops = 1 },
            packetHandler: new TurnPacketHandler(_turn));
        await _server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _turn.DisposeAsync();
        _certificate.Dispose();
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task SelfSignedTurnsServerIsRefusedByDefault()
    {
        var (exit, output, error) = await RunAsync("doctor", "--ice-servers", WriteList());
        Assert.True(exit == ExitCodes.Unreachable, output + error);
        Assert.Contains("TLS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InsecureTlsAcceptsASelfSignedTurnsServer()
    {
        var (exit, output, error) = await RunAsync("doctor", "--ice-servers", WriteList(), "--insecure-tls");
        Assert.True(exit == 0, output + error);
        Assert.Contains("Result:          ok: relay allocated", output, StringComparison.Ordinal);
    }

    private string WriteList()
    {
        string path = Path.Combine(_directory, "servers.json");
        File.WriteAllText(path, $$"""[{"urls":["turns:127.0.0.1:{{_server.TlsEndPoints[0].Port}}"],"username":"{{User}}","credential":"{{Password}}"}]""");
        return path;
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = await CliApp.RunAsync(args, output, error, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        return (exit, output.ToString(), error.ToString());
    }
}
