using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace TokenFunctions.Credentials;

/// <summary>
/// A client assertion for a generic OpenID Connect provider, built here rather than by MSAL: MSAL.NET
/// writes <c>nbf</c> and <c>exp</c> as JSON strings, which Entra tolerates but RFC 7519 §2 (NumericDate)
/// and standards-strict providers reject. Everything else (the token request itself, caching) stays
/// with MSAL; this only signs the JWT that MSAL sends as <c>client_assertion</c>.
/// </summary>
public static class Rfc7523ClientAssertion
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    public static string Create(X509Certificate2 certificate, string clientId, string audience, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["alg"] = "RS256",
            ["typ"] = "JWT",
            ["x5t"] = Base64Url.EncodeToString(certificate.GetCertHash()),
            ["x5t#S256"] = Base64Url.EncodeToString(SHA256.HashData(certificate.RawData)),
        }, AssertionJsonContext.Default.DictionaryStringString);
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = clientId,
            ["sub"] = clientId,
            ["aud"] = audience,
            ["jti"] = Guid.NewGuid().ToString(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.Add(Lifetime).ToUnixTimeSeconds(),
        }, AssertionJsonContext.Default.DictionaryStringObject);
        var signingInput = $"{Base64Url.EncodeToString(header)}.{Base64Url.EncodeToString(payload)}";
        using var key = certificate.GetRSAPrivateKey()
            ?? throw new ClientCredentialUnavailableException("unsupported_key", "The client certificate has no RSA private key; OpenID Connect client assertions are signed with RS256.");
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signingInput}.{Base64Url.EncodeToString(signature)}";
    }
}
