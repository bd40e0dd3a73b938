using System.Security.Cryptography.X509Certificates;

namespace TokenFunctions.Credentials;

/// <summary>What every client certificate must be before MSAL signs with it, with errors that say which client and where.</summary>
public static class CertificateChecks
{
    /// <summary>Keys stay in memory on Linux; elsewhere the platform's default store applies.</summary>
    public static X509KeyStorageFlags KeyStorageFlags =>
        OperatingSystem.IsLinux() ? X509KeyStorageFlags.EphemeralKeySet : X509KeyStorageFlags.DefaultKeySet;

    public static X509Certificate2 WithPrivateKey(string client, string source, X509Certificate2 certificate)
    {
        if (certificate.HasPrivateKey)
        {
            return certificate;
        }

        certificate.Dispose();
        throw new ClientCredentialUnavailableException("no_private_key",
            $"Client '{client}': the {source} has no private key; upload it as PFX/PEM with its key (exportable) so it can sign client assertions.");
    }

    public static void EnsureValidNow(string client, string source, X509Certificate2 certificate, TimeProvider time)
    {
        var now = time.GetUtcNow();
        if (now < certificate.NotBefore.ToUniversalTime())
        {
            throw new ClientCredentialUnavailableException("not_yet_valid",
                $"Client '{client}': the {source} (thumbprint {certificate.Thumbprint}) is not valid before {certificate.NotBefore.ToUniversalTime():u}.");
        }

        if (now > certificate.NotAfter.ToUniversalTime())
        {
            throw new ClientCredentialUnavailableException("expired",
                $"Client '{client}': the {source} (thumbprint {certificate.Thumbprint}) expired at {certificate.NotAfter.ToUniversalTime():u}; upload a new version.");
        }
    }
}
