using System.Security.Cryptography.X509Certificates;

namespace TokenFunctions.Credentials;

/// <summary>
/// A client assertion for a generic OpenID Connect provider, signed with a downloaded certificate's key,
/// built here rather than by MSAL: MSAL.NET writes <c>nbf</c> and <c>exp</c> as JSON strings, which
/// Entra tolerates but RFC 7519 §2 (NumericDate) and standards-strict providers reject. Everything else
/// (the token request itself, caching) stays with MSAL; this only signs the JWT that MSAL sends as
/// <c>client_assertion</c>. The JWT is <see cref="CertificateAssertion"/>'s, as for a key in Key Vault.
/// </summary>
public static class Rfc7523ClientAssertion
{
    public static string Create(X509Certificate2 certificate, string clientId, string audience, TimeProvider time)
    {
        using var key = certificate.GetRSAPrivateKey()
            ?? throw new ClientCredentialUnavailableException("unsupported_key", "The client certificate has no RSA private key; OpenID Connect client assertions are signed with RS256.");
        var format = CertificateAssertionFormat.For(clientId, oidcProvider: true, sendX5c: false, clientClaims: null);
        return CertificateAssertion.Draft(certificate, format, audience, time.GetUtcNow()).SignWith(key);
    }
}
