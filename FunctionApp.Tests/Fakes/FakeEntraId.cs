using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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

    /// <summary>When set, the token response carries <c>refresh_in</c>.</summary>
    public TimeSpan? RefreshIn { get; set; }

    /// <summary>How long the token endpoint waits before it answers (a fixed round-trip time for every token request).</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Return a response to replace the normal answer to a token request, or null to answer normally.</summary>
    public Func<ReceivedTokenRequest, FakeResponse?>? Fault { get; set; }

    /// <summary>Every token request received, in order.</summary>
    public IReadOnlyCollection<ReceivedTokenRequest> TokenRequests => _requests;

    /// <summary>Every access token issued, so tests can search logs and storage for them.</summary>
    public ConcurrentBag<string> IssuedTokens { get; } = [];

    public static async Task<FakeEntraId> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(TestCertificates.Tls)));
        var app = builder.Build();
        var fake = new FakeEntraId(app);
        fake.MapEndpoints();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.Port = new Uri(address).Port;
        return fake;
    }

    /// <summary>Routes the global and regional Entra host names to this fake.</summary>
    public LoopbackRouting RouteEntraHosts(LoopbackRouting routing, params string[] regions)
    {
        routing.Map(GlobalHost, Port);
        foreach (var region in regions)
        {
            routing.Map($"{region}.login.microsoft.com", Port);
        }

        return routing;
    }

    /// <summary>Registers an app with the certificate Entra holds for it.</summary>
    public void RegisterClient(string clientId, X509Certificate2 certificate) =>
        _clients[clientId] = new RegisteredClient(clientId, X509CertificateLoader.LoadCertificate(certificate.RawData), null);

    /// <summary>Registers an app with a client secret.</summary>
    public void RegisterClient(string clientId, string secret) => _clients[clientId] = new RegisteredClient(clientId, null, secret);

    /// <summary>Token calls, optionally only those to one host and of one grant type.</summary>
    public int TokenCalls(string? host = null, string? grantType = null) =>
        _requests.Count(r => (host is null || r.Host.Equals(host, StringComparison.OrdinalIgnoreCase)) &&
                             (grantType is null || r.Form.GetValueOrDefault("grant_type") == grantType));

    /// <summary>All calls of any kind, by "METHOD host path".</summary>
    public IReadOnlyDictionary<string, int> Calls => _calls;

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

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

        _app.MapPost("/{tenant}/oauth2/v2.0/token", async (string tenant, HttpContext context) =>
        {
            var form = (await context.Request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString());
            var request = new ReceivedTokenRequest(context.Request.Host.Host, tenant, form, AssertionJwt.TryParse(form.GetValueOrDefault("client_assertion")));
            _requests.Enqueue(request);
            if (Latency > TimeSpan.Zero)
            {
                await Task.Delay(Latency, context.RequestAborted);
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
            _ => FakeResponse.EntraError(HttpStatusCode.BadRequest, "unsupported_grant_type", 70003, "AADSTS70003: The app requested an unsupported grant type."),
        };
    }

    private static FakeResponse? CredentialProblem(RegisteredClient client, ReceivedTokenRequest request)
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

        var certificate = client.Certificate!;
        var thumbprint = Base64Url(SHA256.HashData(certificate.RawData));
        if (assertion.Header("x5t#S256") != thumbprint)
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

    private FakeResponse IssueToken(ReceivedTokenRequest request, string clientId)
    {
        var now = DateTimeOffset.UtcNow;
        var scope = request.Form.GetValueOrDefault("scope") ?? "";
        var header = Base64Url("""{"typ":"JWT","alg":"RS256","kid":"fake"}"""u8.ToArray());
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["aud"] = scope.Split(' ')[0],
            ["iss"] = $"https://sts.windows.net/{request.Tenant}/",
            ["appid"] = clientId,
            ["tid"] = request.Tenant,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.Add(TokenLifetime).ToUnixTimeSeconds(),
        }));
        var token = $"{header}.{payload}.{Base64Url(RandomNumberGenerator.GetBytes(32))}";
        IssuedTokens.Add(token);

        var body = new JsonObject
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = (long)TokenLifetime.TotalSeconds,
            ["ext_expires_in"] = (long)TokenLifetime.TotalSeconds,
            ["access_token"] = token,
        };
        if (RefreshIn is { } refreshIn)
        {
            body["refresh_in"] = (long)refreshIn.TotalSeconds;
        }

        return FakeResponse.Json(HttpStatusCode.OK, body);
    }

    private static FakeResponse InvalidClient(long code, string description) =>
        FakeResponse.EntraError(HttpStatusCode.Unauthorized, "invalid_client", code, description);

    internal static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    private sealed record RegisteredClient(string ClientId, X509Certificate2? Certificate, string? Secret);
}

/// <summary>What the fake received in one token request.</summary>
public sealed record ReceivedTokenRequest(string Host, string Tenant, IReadOnlyDictionary<string, string> Form, AssertionJwt? Assertion);
