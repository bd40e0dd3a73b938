using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TokenFunctions.Credentials;

/// <summary>
/// A certificate from a PFX file, for local development. Loaded on first use with an ephemeral
/// key (never written to a key store), then kept.
/// </summary>
internal sealed class PfxFileCertificateSource(string clientName, string path, string? password) : ICertificateSource
{
    private readonly Lazy<X509Certificate2> _certificate = new(() => Load(clientName, path, password), LazyThreadSafetyMode.PublicationOnly);

    public ValueTask<X509Certificate2> GetCertificateAsync(CancellationToken cancellationToken)
    {
        try
        {
            return ValueTask.FromResult(_certificate.Value);
        }
        catch (CredentialUnavailableException ex)
        {
            return ValueTask.FromException<X509Certificate2>(ex);
        }
    }

    private static X509Certificate2 Load(string clientName, string path, string? password)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(
                path, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            // The inner exception's message may echo the path, never the password or the key.
            throw new CredentialUnavailableException(
                $"Client '{clientName}': the certificate file '{path}' could not be loaded ({ex.GetType().Name}).", ex);
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new CredentialUnavailableException(
                $"Client '{clientName}': the certificate file '{path}' has no private key.");
        }

        return certificate;
    }
}
