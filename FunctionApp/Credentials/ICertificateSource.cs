using System.Security.Cryptography.X509Certificates;

namespace TokenFunctions.Credentials;

/// <summary>
/// Supplies a client's signing certificate. MSAL asks only when it must call Entra, so a source
/// loads lazily and caches; it throws <see cref="CredentialUnavailableException"/> when it cannot.
/// </summary>
public interface ICertificateSource
{
    ValueTask<X509Certificate2> GetCertificateAsync(CancellationToken cancellationToken);
}
