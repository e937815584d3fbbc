using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PeerConnect.Server.Stun;

/// <summary>
/// A self-signed certificate for <c>turns:</c> on a developer's machine (<c>GenerateDevelopmentCertificate</c>):
/// ECDSA P-256, SHA-256, valid 30 days, subject <c>CN=localhost</c> with DNS localhost and the loopback addresses as
/// subject alternative names. Clients must be told to trust it (browsers will not); never for production.
/// </summary>
internal static partial class DevelopmentCertificate
{
    public static readonly TimeSpan Validity = TimeSpan.FromDays(30);

    public static X509Certificate2 Create(TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        // id-kp-serverAuth (RFC 5280 §4.2.1.12).
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));

        DateTimeOffset now = time.GetUtcNow();
        using X509Certificate2 created = request.CreateSelfSigned(now.AddMinutes(-5), now + Validity);
        // Round-trip through PKCS#12 so SslStream gets a private key it can use on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }

    [LoggerMessage(7100, LogLevel.Warning, "TURN/STUN TLS uses a generated self-signed certificate (thumbprint {Thumbprint}, valid until {NotAfter:u}), for local development only: set PeerConnect:Turn:CertificatePath for production")]
    public static partial void Generated(ILogger logger, string thumbprint, DateTime notAfter);
}
