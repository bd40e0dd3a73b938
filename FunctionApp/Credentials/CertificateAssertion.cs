using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace TokenFunctions.Credentials;

/// <summary>
/// The client assertion of a certificate credential, built here and nowhere else for every assertion the
/// broker signs itself (with a key in Key Vault; for generic OpenID Connect providers), as Entra documents
/// it and RFC 7523 defines it. Header: <c>alg</c>, <c>typ</c> JWT, <c>x5t#S256</c> (and the SHA-1
/// <c>x5t</c> for RS256, which such providers look keys up by), <c>x5c</c> when asked. Claims: <c>aud</c>
/// the token endpoint about to be called (the regional and global endpoints differ), <c>iss</c> =
/// <c>sub</c> = the client id, a new <c>jti</c>, <c>nbf</c>/<c>iat</c>/<c>exp</c> as JSON numbers (RFC
/// 7519 NumericDate: MSAL.NET writes strings, which strict providers refuse), <c>exp</c> ten minutes after
/// <c>nbf</c>, then the client's own claims. The signer sees only the SHA-256 digest of what it signs.
/// </summary>
public static class CertificateAssertion
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    public static AssertionDraft Draft(X509Certificate2 certificate, CertificateAssertionFormat format, string audience, DateTimeOffset now)
    {
        var header = new AssertionHeader(
            format.Algorithm,
            "JWT",
            format.Algorithm == CertificateAssertionFormat.Pkcs1 ? Base64Url.EncodeToString(certificate.GetCertHash()) : null,
            Base64Url.EncodeToString(SHA256.HashData(certificate.RawData)),
            // RFC 7515 §4.1.6: an array, the leaf first. Entra reads it as MSAL.NET's single string too.
            format.SendX5c ? [Convert.ToBase64String(certificate.RawData)] : null);
        var issuedAt = now.ToUnixTimeSeconds();
        var payload = new AssertionPayload
        {
            Audience = audience,
            Issuer = format.ClientId,
            Subject = format.ClientId,
            Id = Guid.NewGuid().ToString(),
            NotBefore = issuedAt,
            IssuedAt = issuedAt,
            ExpiresAt = issuedAt + (long)Lifetime.TotalSeconds,
            ClientClaims = format.ClientClaims.Count == 0 ? null : format.ClientClaims.ToDictionary(c => c.Key, c => (object)c.Value, StringComparer.Ordinal),
        };
        var signingInput =
            $"{Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(header, AssertionJsonContext.Default.AssertionHeader))}." +
            Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(payload, AssertionJsonContext.Default.AssertionPayload));
        return new AssertionDraft(format.Algorithm, format.Padding, signingInput, DateTimeOffset.FromUnixTimeSeconds(payload.ExpiresAt));
    }
}

/// <summary>
/// One assertion before its signature: the SHA-256 digest to sign (the JWS signing input stays here), the
/// algorithm to sign it with, and when the assertion will expire.
/// </summary>
public sealed class AssertionDraft
{
    private readonly string _signingInput;

    internal AssertionDraft(string algorithm, RSASignaturePadding padding, string signingInput, DateTimeOffset expiresOn)
    {
        Algorithm = algorithm;
        Padding = padding;
        _signingInput = signingInput;
        ExpiresOn = expiresOn;
        Digest = SHA256.HashData(Encoding.ASCII.GetBytes(signingInput));
    }

    /// <summary><c>PS256</c> or <c>RS256</c>, as the header says.</summary>
    public string Algorithm { get; }

    public RSASignaturePadding Padding { get; }

    /// <summary>SHA-256 of the signing input: all a remote signer is sent.</summary>
    public byte[] Digest { get; }

    public DateTimeOffset ExpiresOn { get; }

    /// <summary>The compact JWT, given the signature over <see cref="Digest"/>.</summary>
    public string WithSignature(ReadOnlySpan<byte> signature) => $"{_signingInput}.{Base64Url.EncodeToString(signature)}";

    /// <summary>Signed with a private key held here.</summary>
    public string SignWith(RSA key) => WithSignature(key.SignHash(Digest, HashAlgorithmName.SHA256, Padding));
}
