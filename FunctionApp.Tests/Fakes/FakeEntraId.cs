using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace TokenFunctions.Tests.Fakes;

/// <summary>
/// A fake Microsoft Entra ID over HTTPS on loopback, reached through <see cref="LoopbackRouting"/>
/// under the real host names. It validates client assertions as Entra does (signature against the
/// registered certificate, <c>aud</c>, <c>exp</c>, <c>iss</c>/<c>sub</c>, <c>x5t#S256</c>), issues
/// opaque JWT-shaped tokens, counts every call, and injects the faults a test asks for.
/// </summary>
public sealed class FakeEntraId : IAsyncDisposable
{
    public const string GlobalHost = "login.microsoftonline.com";

    /// <summary>A generic, standards-strict OpenID Connect provider the same fake also plays.</summary>
    public const string OidcHost = "idp.contoso.test";

    private readonly ConcurrentDictionary<string, byte> _seenAssertionIds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string User, DateTimeOffset Expires)> _userAssertions = new(StringComparer.Ordinal);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, RegisteredClient> _clients = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<ReceivedTokenRequest> _requests = new();
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.OrdinalIgnoreCase);

    private FakeEntraId(WebApplication app)
    {
        _app = app;
    }

    public int Port { get; private set; }

    /// <summary>How long issued tokens live.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The clock the test runs on. Lifetimes are issued relative to it, so that the expiry MSAL computes
    /// (its real clock plus <c>expires_in</c>) is the expiry on the test's clock. A federated
    /// credential's token is judged valid or expired on it too.
    /// </summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>A lifetime per scope, overriding <see cref="TokenLifetime"/>.</summary>
    public Func<string, TimeSpan?>? LifetimeFor { get; set; }

    /// <summary>When set, the token response carries <c>refresh_in</c>.</summary>
    public TimeSpan? RefreshIn { get; set; }

    /// <summary>How long the token endpoint waits before it answers (a fixed round-trip time for every token request).</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Return a response to replace the normal answer to a token request, or null to answer normally.</summary>
    public Func<ReceivedTokenRequest, FakeResponse?>? Fault { get; set; }

    /// <summary>Awaited before a token request is answered: a gate or a latency the test controls.</summary>
    public Func<ReceivedTokenRequest, CancellationToken, Task>? BeforeAnswer { get; set; }

    /// <summary>Every token request received, in order.</summary>
    public IReadOnlyCollection<ReceivedTokenRequest> TokenRequests => _requests;

    /// <summary>Every access token issued, so tests can search logs and storage for them.</summary>
    public ConcurrentBag<string> IssuedTokens { get; } = [];

    /// <summary>The apps' federated identity credentials, and the tokens Entra issues to managed identities.</summary>
    public FederatedIdentityCredentials FederatedCredentials { get; } = new();

    public static async Task<FakeEntraId> StartAsync()
    {
        var app = LoopbackHost.Create();
        var fake = new FakeEntraId(app);
        fake.MapEndpoints();
        await app.StartAsync();
        fake.Port = LoopbackHost.PortOf(app);
        return fake;
    }

    /// <summary>Routes the global and regional Entra host names to this fake.</summary>
    public LoopbackRouting RouteEntraHosts(LoopbackRouting routing, params string[] regions)
    {
        routing.Map(GlobalHost, Port);
        routing.Map(OidcHost, Port);
        foreach (var region in regions)
        {
            routing.Map($"{region}.login.microsoft.com", Port);
        }

        return routing;
    }

    /// <summary>Registers a certificate on an app (an app may hold several, as during a rotation).</summary>
    public void RegisterClient(string clientId, X509Certificate2 certificate)
    {
        var publicPart = X509CertificateLoader.LoadCertificate(certificate.RawData);
        _clients.AddOrUpdate(
            clientId,
            _ => new RegisteredClient(clientId, [publicPart], null),
            (_, existing) => existing with { Certificates = [.. existing.Certificates.Where(c => c.Thumbprint != publicPart.Thumbprint), publicPart] });
    }

    /// <summary>Removes a certificate from an app, as an administrator retiring it would.</summary>
    public void UnregisterCertificate(string clientId, X509Certificate2 certificate) =>
        _clients.AddOrUpdate(
            clientId,
            _ => new RegisteredClient(clientId, [], null),
            (_, existing) => existing with { Certificates = [.. existing.Certificates.Where(c => c.Thumbprint != certificate.Thumbprint)] });

    /// <summary>Trusts a federated identity credential on an app (registering the app if it has no other credential).</summary>
    public void RegisterFederatedCredential(string clientId, FederatedCredential credential)
    {
        _clients.TryAdd(clientId, new RegisteredClient(clientId, [], null));
        FederatedCredentials.Register(clientId, credential);
    }

    /// <summary>Registers an app with a client secret.</summary>
    public void RegisterClient(string clientId, string secret) => _clients[clientId] = new RegisteredClient(clientId, [], secret);

    /// <summary>Token calls, optionally only those to one host and of one grant type.</summary>
    public int TokenCalls(string? host = null, string? grantType = null, string? clientId = null) =>
        _requests.Count(r => (host is null || r.Host.Equals(host, StringComparison.OrdinalIgnoreCase)) &&
                             (grantType is null || r.Form.GetValueOrDefault("grant_type") == grantType) &&
                             (clientId is null || r.Form.GetValueOrDefault("client_id") == clientId));

    /// <summary>The token requests of one app registration.</summary>
    public IReadOnlyList<ReceivedTokenRequest> TokenRequestsOf(string clientId) =>
        _requests.Where(r => r.Form.GetValueOrDefault("client_id") == clientId).ToList();

    /// <summary>All calls of any kind, by "METHOD host path".</summary>
    public IReadOnlyDictionary<string, int> Calls => _calls;

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        FederatedCredentials.Dispose();
    }

    private void MapEndpoints()
    {
        _app.Use(async (context, next) =>
        {
            _calls.AddOrUpdate($"{context.Request.Method} {context.Request.Host.Host} {context.Request.Path}", 1, (_, n) => n + 1);
            await next(context);
        });

        _app.MapGet("/common/discovery/instance", (HttpContext context) => Results.Json(new JsonObject
        {
            ["tenant_discovery_endpoint"] = $"https://{GlobalHost}/common/v2.0/.well-known/openid-configuration",
            ["api-version"] = "1.1",
            ["metadata"] = new JsonArray(new JsonObject
            {
                ["preferred_network"] = GlobalHost,
                ["preferred_cache"] = "login.windows.net",
                ["aliases"] = new JsonArray(GlobalHost, "login.windows.net", "login.microsoft.com", "sts.windows.net"),
            }),
        }));

        _app.MapGet("/{tenant}/v2.0/.well-known/openid-configuration", (string tenant, HttpContext context) => Results.Json(new JsonObject
        {
            ["issuer"] = $"https://{GlobalHost}/{tenant}/v2.0",
            ["authorization_endpoint"] = $"https://{context.Request.Host.Host}/{tenant}/oauth2/v2.0/authorize",
            ["token_endpoint"] = $"https://{context.Request.Host.Host}/{tenant}/oauth2/v2.0/token",
            ["jwks_uri"] = $"https://{GlobalHost}/{tenant}/discovery/v2.0/keys",
        }));

        _app.MapGet("/.well-known/openid-configuration", (HttpContext context) => Results.Json(new JsonObject
        {
            ["issuer"] = $"https://{OidcHost}",
            ["authorization_endpoint"] = $"https://{OidcHost}/oauth2/authorize",
            ["token_endpoint"] = $"https://{OidcHost}/oauth2/token",
            ["jwks_uri"] = $"https://{OidcHost}/keys",
            ["token_endpoint_auth_methods_supported"] = new JsonArray("private_key_jwt"),
            ["token_endpoint_auth_signing_alg_values_supported"] = new JsonArray("RS256"),
        }));

        _app.MapPost("/oauth2/token", async (HttpContext context) =>
        {
            var form = (await context.Request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString());
            var request = new ReceivedTokenRequest(context.Request.Host.Host, "", form, AssertionJwt.TryParse(form.GetValueOrDefault("client_assertion")));
            _requests.Enqueue(request);
            await (StrictOidcProblem(request) ?? IssueToken(request, form.GetValueOrDefault("client_id") ?? "")).WriteAsync(context);
        });

        _app.MapPost("/{tenant}/oauth2/v2.0/token", async (string tenant, HttpContext context) =>
        {
            var form = (await context.Request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString());
            var request = new ReceivedTokenRequest(context.Request.Host.Host, tenant, form, AssertionJwt.TryParse(form.GetValueOrDefault("client_assertion")));
            _requests.Enqueue(request);
            if (Latency > TimeSpan.Zero)
            {
                await Task.Delay(Latency, context.RequestAborted);
            }

            if (BeforeAnswer is { } before)
            {
                await before(request, context.RequestAborted);
            }

            var response = Fault?.Invoke(request) ?? Answer(request);
            await response.WriteAsync(context);
        });
    }

    private FakeResponse Answer(ReceivedTokenRequest request)
    {
        var clientId = request.Form.GetValueOrDefault("client_id") ?? "";
        if (!_clients.TryGetValue(clientId, out var client))
        {
            return FakeResponse.EntraError(HttpStatusCode.BadRequest, "unauthorized_client", 700016,
                $"AADSTS700016: Application with identifier '{clientId}' was not found in the directory.");
        }

        if (CredentialProblem(client, request) is { } problem)
        {
            return problem;
        }

        return request.Form.GetValueOrDefault("grant_type") switch
        {
            "client_credentials" => IssueToken(request, clientId),
            "urn:ietf:params:oauth:grant-type:jwt-bearer" => OnBehalfOf(request, clientId),
            _ => FakeResponse.EntraError(HttpStatusCode.BadRequest, "unsupported_grant_type", 70003, "AADSTS70003: The app requested an unsupported grant type."),
        };
    }

    private FakeResponse? CredentialProblem(RegisteredClient client, ReceivedTokenRequest request)
    {
        if (client.Secret is not null)
        {
            return request.Form.GetValueOrDefault("client_secret") == client.Secret
                ? null
                : InvalidClient(7000215, "AADSTS7000215: Invalid client secret provided.");
        }

        if (request.Form.GetValueOrDefault("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" ||
            request.Assertion is not { } assertion)
        {
            return InvalidClient(700025, "AADSTS700025: Client is confidential but no client credential was presented.");
        }

        if (assertion.Claim("iss") != client.ClientId)
        {
            // Not an assertion the app signed itself: another issuer's token, trusted only as a federated credential.
            return FederatedCredentials.Problem(client.ClientId, assertion, Time.GetUtcNow());
        }

        var certificate = client.Certificates.FirstOrDefault(c => Base64Url(SHA256.HashData(c.RawData)) == assertion.Header("x5t#S256"));
        if (certificate is null)
        {
            return InvalidClient(700027, "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.");
        }

        if (!assertion.VerifySignature(certificate))
        {
            return InvalidClient(700027, "AADSTS700027: Client assertion failed signature validation.");
        }

        var expectedAudience = $"https://{request.Host}/{request.Tenant}/oauth2/v2.0/token";
        var globalAudience = $"https://{GlobalHost}/{request.Tenant}/oauth2/v2.0/token";
        if (assertion.Claim("aud") is not { } audience || (audience != expectedAudience && audience != globalAudience))
        {
            return InvalidClient(700212, "AADSTS700212: No matching federated identity record found for presented assertion audience.");
        }

        // Entra reads NumericDate claims sent as strings too (MSAL.NET sends them so); a strict
        // OpenID provider does not, which the fake's OIDC issuer checks separately.
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (assertion.LenientNumericClaim("exp") is not { } exp || exp < now || assertion.LenientNumericClaim("nbf") is { } nbf && nbf > now + 300)
        {
            return InvalidClient(700024, "AADSTS700024: Client assertion is not within its valid time range.");
        }

        if (assertion.Claim("iss") != client.ClientId || assertion.Claim("sub") != client.ClientId || string.IsNullOrEmpty(assertion.Claim("jti")))
        {
            return InvalidClient(700023, "AADSTS700023: Client assertion issuer or subject does not match the client id.");
        }

        return null;
    }

    /// <summary>
    /// RFC 7523 §3 and OpenID Connect Core §9 as a strict provider reads them: RS256 over a registered
    /// key, iss = sub = client_id, aud = the token endpoint or the issuer, exp/iat/nbf as JSON numbers,
    /// a jti never seen before.
    /// </summary>
    private FakeResponse? StrictOidcProblem(ReceivedTokenRequest request)
    {
        var clientId = request.Form.GetValueOrDefault("client_id");
        if (clientId is null || !_clients.TryGetValue(clientId, out var client) || request.Assertion is not { } assertion)
        {
            return OidcError("invalid_client", "unknown client or no client assertion");
        }

        var certificate = client.Certificates.FirstOrDefault(c => Base64Url(c.GetCertHash()) == assertion.Header("x5t") ||
                                                                 Base64Url(SHA256.HashData(c.RawData)) == assertion.Header("x5t#S256"));
        if (assertion.Header("alg") != "RS256" || certificate is null || !assertion.VerifySignature(certificate))
        {
            return OidcError("invalid_client", "assertion not signed with RS256 by a registered key");
        }

        var audience = assertion.Claim("aud");
        if (audience != $"https://{OidcHost}/oauth2/token" && audience != $"https://{OidcHost}")
        {
            return OidcError("invalid_client", "aud must be the token endpoint or the issuer");
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (assertion.NumericClaim("exp") is not { } exp || exp < now ||
            (assertion.PayloadJson.TryGetProperty("nbf", out _) && assertion.NumericClaim("nbf") is null) ||
            (assertion.PayloadJson.TryGetProperty("iat", out _) && assertion.NumericClaim("iat") is null))
        {
            return OidcError("invalid_client", "exp, nbf and iat must be NumericDate JSON numbers, and exp in the future");
        }

        if (assertion.Claim("iss") != clientId || assertion.Claim("sub") != clientId ||
            assertion.Claim("jti") is not { Length: > 0 } jti || !_seenAssertionIds.TryAdd(jti, 0))
        {
            return OidcError("invalid_client", "iss and sub must be the client id, and jti unique");
        }

        return null;
    }

    private static FakeResponse OidcError(string error, string description) =>
        new(HttpStatusCode.BadRequest, new JsonObject { ["error"] = error, ["error_description"] = description });

    private FakeResponse IssueToken(ReceivedTokenRequest request, string clientId)
    {
        var now = DateTimeOffset.UtcNow;
        var scope = request.Form.GetValueOrDefault("scope") ?? "";
        var lifetime = LifetimeFor?.Invoke(scope) ?? TokenLifetime;
        var expiresIn = (long)(Time.GetUtcNow() + lifetime - now).TotalSeconds;
        var header = Base64Url("""{"typ":"JWT","alg":"RS256","kid":"fake"}"""u8.ToArray());
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["aud"] = scope.Split(' ')[0],
            ["iss"] = $"https://sts.windows.net/{request.Tenant}/",
            ["appid"] = clientId,
            ["tid"] = request.Tenant,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.AddSeconds(expiresIn).ToUnixTimeSeconds(),
        }));
        var token = $"{header}.{payload}.{Base64Url(RandomNumberGenerator.GetBytes(32))}";
        IssuedTokens.Add(token);

        var body = new JsonObject
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = expiresIn,
            ["ext_expires_in"] = expiresIn,
            ["access_token"] = token,
        };
        if (RefreshIn is { } refreshIn)
        {
            body["refresh_in"] = (long)refreshIn.TotalSeconds;
        }

        return FakeResponse.Json(HttpStatusCode.OK, body);
    }

    /// <summary>A user's access token for the middle-tier API (the client), as the API would receive it.</summary>
    public string IssueUserAssertion(string user, string audienceClientId, TimeSpan? lifetime = null)
    {
        var expires = DateTimeOffset.UtcNow.Add(lifetime ?? TimeSpan.FromHours(1));
        var header = Base64Url("""{"typ":"JWT","alg":"RS256","kid":"user-fake"}"""u8.ToArray());
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["aud"] = audienceClientId,
            ["iss"] = "https://login.microsoftonline.com/fake/v2.0",
            ["oid"] = user,
            ["tid"] = "fake-tenant",
            ["scp"] = "access_as_user",
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["exp"] = expires.ToUnixTimeSeconds(),
        }));
        var assertion = $"{header}.{payload}.{Base64Url(RandomNumberGenerator.GetBytes(32))}";
        _userAssertions[assertion] = (user, expires);
        return assertion;
    }

    private FakeResponse OnBehalfOf(ReceivedTokenRequest request, string clientId)
    {
        if (request.Form.GetValueOrDefault("requested_token_use") != "on_behalf_of" ||
            request.Form.GetValueOrDefault("assertion") is not { } assertion ||
            !_userAssertions.TryGetValue(assertion, out var user) || user.Expires < DateTimeOffset.UtcNow)
        {
            return FakeResponse.EntraError(HttpStatusCode.BadRequest, "invalid_grant", 50013, "AADSTS50013: Assertion failed signature validation or has expired.");
        }

        var response = IssueToken(request, clientId);
        var body = (JsonObject)response.Body!;
        var tenant = Guid.NewGuid().ToString();
        body["scope"] = request.Form.GetValueOrDefault("scope");
        body["refresh_token"] = "fake-refresh-" + Guid.NewGuid().ToString("N");
        body["client_info"] = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["uid"] = user.User, ["utid"] = tenant }));
        body["id_token"] = $"{Base64Url("""{"typ":"JWT","alg":"none"}"""u8.ToArray())}." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["aud"] = clientId,
            ["iss"] = $"https://login.microsoftonline.com/{tenant}/v2.0",
            ["oid"] = user.User,
            ["tid"] = tenant,
            ["preferred_username"] = $"{user.User}@contoso.test",
            ["exp"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(),
        })) + ".";
        return response;
    }

    private static FakeResponse InvalidClient(long code, string description) =>
        FakeResponse.EntraError(HttpStatusCode.Unauthorized, "invalid_client", code, description);

    internal static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    private sealed record RegisteredClient(string ClientId, IReadOnlyList<X509Certificate2> Certificates, string? Secret);
}

/// <summary>What the fake received in one token request.</summary>
public sealed record ReceivedTokenRequest(string Host, string Tenant, IReadOnlyDictionary<string, string> Form, AssertionJwt? Assertion);
