using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace TokenFunctions.Tests.Fakes;

/// <summary>
/// The federated identity credentials of the fake Entra's app registrations, and the tokens Entra issues
/// to managed identities (their identity endpoint hands Entra's tokens out, so Entra's signing key is
/// here). A <c>client_assertion</c> that is not the app's own (its <c>iss</c> is not the client id) is
/// checked as Entra checks a federated one: signed by the issuer's key, within its validity, and
/// matching a registered {issuer, subject, audience} exactly (case-sensitive), with Entra's codes and
/// messages (AADSTS70021, 700211, 700213, 700212, 700024).
/// </summary>
public sealed class FederatedIdentityCredentials : IDisposable
{
    /// <summary>The audience a federated credential that trusts a managed identity registers (public cloud).</summary>
    public const string TokenExchangeAudience = "api://AzureADTokenExchange";

    /// <summary>
    /// The app id of Entra's token exchange app: a managed identity's token for <see cref="TokenExchangeAudience"/>
    /// carries it as <c>aud</c> (a v2.0 token names its audience by app id), and Entra maps one to the other.
    /// </summary>
    public const string TokenExchangeAppId = "fb60f99c-7a34-4190-8149-302f77469936";

    private const string Guidance = "Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation";

    private readonly X509Certificate2 _signing = TestCertificates.CreateClientCertificate("CN=Fake Entra token signing");
    private readonly ConcurrentDictionary<string, IReadOnlyList<FederatedCredential>> _credentials = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Entra's issuer for tokens of a tenant, as a federated credential that trusts a managed identity names it.</summary>
    public static string Issuer(string tenant) => $"https://{FakeEntraId.GlobalHost}/{tenant}/v2.0";

    /// <summary>Adds a federated credential to an app registration.</summary>
    public void Register(string clientId, FederatedCredential credential) =>
        _credentials.AddOrUpdate(clientId, _ => [credential], (_, existing) => [.. existing, credential]);

    /// <summary>
    /// The access token Entra issues a managed identity for <paramref name="resource"/>, as it looks for
    /// the token exchange audience: v2.0, <c>sub</c> = <c>oid</c> = the identity's object id, <c>azp</c> its client id.
    /// </summary>
    public string IssueManagedIdentityToken(string tenant, AssignedIdentity identity, string resource, DateTimeOffset issuedAt, TimeSpan lifetime)
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["typ"] = "JWT",
            ["alg"] = "RS256",
            ["kid"] = FakeEntraId.Base64Url(_signing.GetCertHash()),
        });
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["aud"] = resource == TokenExchangeAudience ? TokenExchangeAppId : resource,
            ["iss"] = Issuer(tenant),
            ["iat"] = issuedAt.ToUnixTimeSeconds(),
            ["nbf"] = issuedAt.ToUnixTimeSeconds(),
            ["exp"] = issuedAt.Add(lifetime).ToUnixTimeSeconds(),
            ["azp"] = identity.ClientId,
            ["azpacr"] = "2",
            ["idtyp"] = "app",
            ["oid"] = identity.ObjectId,
            ["sub"] = identity.ObjectId,
            ["tid"] = tenant,
            ["uti"] = FakeEntraId.Base64Url(Guid.NewGuid().ToByteArray()),
            ["ver"] = "2.0",
        });
        var signingInput = $"{FakeEntraId.Base64Url(header)}.{FakeEntraId.Base64Url(payload)}";
        using var key = _signing.GetRSAPrivateKey()!;
        var signature = key.SignData(System.Text.Encoding.ASCII.GetBytes(signingInput), System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        return $"{signingInput}.{FakeEntraId.Base64Url(signature)}";
    }

    /// <summary>Entra's answer to a federated assertion presented for <paramref name="clientId"/>: null when it is accepted.</summary>
    public FakeResponse? Problem(string clientId, AssertionJwt assertion, DateTimeOffset now)
    {
        var issuer = assertion.Claim("iss");
        var subject = assertion.Claim("sub");
        var audience = assertion.Claim("aud");
        var registered = _credentials.GetValueOrDefault(clientId) ?? [];
        if (registered.Count == 0)
        {
            // The generic code, as Entra answers when nothing on the app could match (seen as 400 invalid_request).
            return FakeResponse.EntraError(HttpStatusCode.BadRequest, "invalid_request", 70021,
                $"AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '{issuer}'. Assertion Subject: '{subject}'. Assertion Audience: '{audience}'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation");
        }

        var fromIssuer = registered.Where(c => c.Issuer == issuer).ToList();
        if (fromIssuer.Count == 0)
        {
            return InvalidClient(700211, $"AADSTS700211: No matching federated identity record found for presented assertion issuer '{issuer}'. {Guidance}");
        }

        // The fake knows one issuer's keys: its own (Entra's), which sign managed identities' tokens.
        if (assertion.Header("alg") != "RS256" || assertion.Header("kid") != FakeEntraId.Base64Url(_signing.GetCertHash()) || !assertion.VerifySignature(_signing))
        {
            return InvalidClient(700027, "AADSTS700027: Client assertion failed signature validation.");
        }

        if (assertion.NumericClaim("exp") is not { } exp || exp < now.ToUnixTimeSeconds() ||
            assertion.NumericClaim("nbf") is { } nbf && nbf > now.AddMinutes(5).ToUnixTimeSeconds())
        {
            var validFrom = DateTimeOffset.FromUnixTimeSeconds(assertion.NumericClaim("nbf") ?? 0);
            var expiry = DateTimeOffset.FromUnixTimeSeconds(assertion.NumericClaim("exp") ?? 0);
            return InvalidClient(700024, string.Create(CultureInfo.InvariantCulture,
                $"AADSTS700024: Client assertion is not within its valid time range. Current time: {now.UtcDateTime:O}, assertion valid from {validFrom.UtcDateTime:O}, expiry time of assertion {expiry.UtcDateTime:O}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."));
        }

        var forSubject = fromIssuer.Where(c => c.Subject == subject).ToList();
        if (forSubject.Count == 0)
        {
            return InvalidClient(700213, $"AADSTS700213: No matching federated identity record found for presented assertion subject '{subject}'. {Guidance}");
        }

        if (!forSubject.Any(c => c.Audience == audience || (c.Audience == TokenExchangeAudience && audience == TokenExchangeAppId)))
        {
            return InvalidClient(700212, $"AADSTS700212: No matching federated identity record found for presented assertion audience '{audience}'. {Guidance}");
        }

        return null;
    }

    public void Dispose() => _signing.Dispose();

    private static FakeResponse InvalidClient(long code, string description) =>
        FakeResponse.EntraError(HttpStatusCode.Unauthorized, "invalid_client", code, description);
}

/// <summary>One federated identity credential of an app registration: whose tokens it trusts.</summary>
public sealed record FederatedCredential(string Issuer, string Subject, string Audience = FederatedIdentityCredentials.TokenExchangeAudience);

/// <summary>A managed identity as Entra knows it: its client (application) id and its object (principal) id.</summary>
public sealed record AssignedIdentity(string ClientId, string ObjectId)
{
    public static AssignedIdentity CreateNew() => new(Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
}
