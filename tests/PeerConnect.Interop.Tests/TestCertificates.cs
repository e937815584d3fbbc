using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PeerConnect.Interop.Tests;

/// <summary>Certificates for TLS (<c>turns:</c>) tests on loopback.</summary>
internal static class TestCertificates
{
    /// <summary>A self-signed ECDSA P-256 certificate for CN=localhost, valid one day.</summary>
    public static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Round-trip through PKCS#12 so SslStream gets a private key it can use on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }
}
