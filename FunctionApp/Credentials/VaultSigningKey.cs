using System.Security.Cryptography.X509Certificates;
using Azure.Security.KeyVault.Certificates;

namespace TokenFunctions.Credentials;

/// <summary>
/// The certificate version whose key signs a client's assertions in Key Vault: its public part (never a
/// private key), its key id, its version, its SHA-1 thumbprint (as <see cref="CertificateRefusals"/> knows
/// versions by). Made only from a bundle fit to sign with now.
/// </summary>
internal sealed record VaultSigningKey(X509Certificate2 Certificate, Uri KeyId, string Version, string Thumbprint)
{
    /// <param name="source">The source's description (names the certificate and the vault).</param>
    /// <exception cref="ClientCredentialUnavailableException">Disabled, no RSA key, or not valid now.</exception>
    public static VaultSigningKey From(KeyVaultCertificate bundle, string client, string source, string algorithm, TimeProvider time)
    {
        if (bundle.Properties.Enabled == false)
        {
            throw new ClientCredentialUnavailableException("disabled",
                $"Client '{client}': the {source} is disabled (version {bundle.Properties.Version}); enable it or upload a new version.");
        }

        var certificate = X509CertificateLoader.LoadCertificate(bundle.Cer);
        using (var rsa = certificate.GetRSAPublicKey())
        {
            if (rsa is null || bundle.KeyId is null)
            {
                throw new ClientCredentialUnavailableException("unsupported_key",
                    $"Client '{client}': the {source} is not an RSA key; client assertions are signed with RSA ({algorithm}).");
            }
        }

        CertificateChecks.EnsureValidNow(client, source, certificate, time);
        return new VaultSigningKey(certificate, bundle.KeyId, bundle.Properties.Version, certificate.Thumbprint);
    }
}
