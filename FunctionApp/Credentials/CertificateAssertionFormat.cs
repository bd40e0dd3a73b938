using System.Collections.Frozen;
using System.Security.Cryptography;

namespace TokenFunctions.Credentials;

/// <summary>
/// How one client's certificate assertions are written. Entra documents PS256 (RSA-PSS) for certificate
/// credentials; a generic OpenID Connect provider gets RS256 (PKCS#1 v1.5), which is what RFC 7518
/// makes every provider support and what those that look keys up by SHA-1 <c>x5t</c> expect.
/// </summary>
/// <param name="ClientId">The app registration: <c>iss</c> and <c>sub</c> of every assertion.</param>
/// <param name="Algorithm"><see cref="Pss"/> or <see cref="Pkcs1"/>.</param>
/// <param name="SendX5c">Put the certificate in the header (<c>x5c</c>), for subject name / issuer authentication.</param>
/// <param name="ClientClaims">Extra claims (<c>ClientClaims__{claim}</c>); the validated settings never name a registered claim.</param>
/// <param name="Reusable">
/// One signed assertion may be presented again within its lifetime. Entra accepts that (MSAL.NET itself
/// long reused its assertions); RFC 7523 §3 lets a provider refuse a <c>jti</c> it has seen, so a generic
/// provider gets a new assertion for every call.
/// </param>
public sealed record CertificateAssertionFormat(string ClientId, string Algorithm, bool SendX5c, IReadOnlyDictionary<string, string> ClientClaims, bool Reusable)
{
    public const string Pss = "PS256";
    public const string Pkcs1 = "RS256";

    /// <summary>An Entra authority (or a generic OpenID Connect provider when <paramref name="oidcProvider"/>).</summary>
    public static CertificateAssertionFormat For(string clientId, bool oidcProvider, bool sendX5c, IReadOnlyDictionary<string, string>? clientClaims) =>
        new(clientId, oidcProvider ? Pkcs1 : Pss, sendX5c, clientClaims?.ToFrozenDictionary(StringComparer.Ordinal) ?? FrozenDictionary<string, string>.Empty, Reusable: !oidcProvider);

    /// <summary>The RSA padding <see cref="Algorithm"/> names; SHA-256 is the hash of both.</summary>
    public RSASignaturePadding Padding => Algorithm == Pss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
}
