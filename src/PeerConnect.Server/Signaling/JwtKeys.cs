using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace PeerConnect.Server.Signaling;

/// <summary>Turns the configured key material into a validation key and the algorithms it may verify.</summary>
internal static class JwtKeys
{
    /// <summary>Accepts a PEM SubjectPublicKeyInfo (or PKCS#1 RSA) public key, EC tried first, then RSA.</summary>
    public static bool TryLoadPublicKey(string pem, out SecurityKey? key)
    {
        var ecdsa = ECDsa.Create();
        if (TryImport(ecdsa, pem))
        {
            key = new ECDsaSecurityKey(ecdsa);
            return true;
        }

        ecdsa.Dispose();
        var rsa = RSA.Create();
        if (TryImport(rsa, pem))
        {
            key = new RsaSecurityKey(rsa);
            return true;
        }

        rsa.Dispose();
        key = null;
        return false;
    }

    public static (SecurityKey Key, string[] Algorithms) Load(JwtOptions options)
    {
        if (options.SigningKey is not null)
        {
            return (new SymmetricSecurityKey(Convert.FromBase64String(options.SigningKey)), [SecurityAlgorithms.HmacSha256]);
        }

        if (!TryLoadPublicKey(options.PublicKeyPem!, out var key) || key is null)
        {
            throw new InvalidOperationException("Jwt:PublicKeyPem is not a usable public key.");
        }

        return key is ECDsaSecurityKey
            ? (key, [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512])
            : (key, [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512, SecurityAlgorithms.RsaSsaPssSha256]);
    }

    private static bool TryImport(AsymmetricAlgorithm algorithm, string pem)
    {
        try
        {
            algorithm.ImportFromPem(pem);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            return false;
        }
    }
}
