using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TokenFunctions.Tests.Fakes;

/// <summary>
/// The local managed-identity endpoint App Service and Functions give an app (plain HTTP on loopback,
/// as there), speaking the protocol Azure.Identity uses when <c>IDENTITY_ENDPOINT</c> and
/// <c>IDENTITY_HEADER</c> are set: <c>GET ?api-version=2019-08-01&amp;resource=...[&amp;client_id=...]</c> with
/// <c>X-IDENTITY-HEADER</c>, answered with <c>access_token</c>, <c>expires_on</c> (Unix seconds as a
/// string), <c>resource</c>, <c>token_type</c>, <c>client_id</c>. The tokens are the fake Entra's, signed
/// with its key, so the fake Entra can check them as federated credentials. Counts every request.
/// </summary>
public sealed class FakeManagedIdentityEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly FederatedIdentityCredentials _entra;
    private readonly string _tenant;
    private readonly ConcurrentDictionary<string, AssignedIdentity> _identities = new(StringComparer.OrdinalIgnoreCase);
    private bool _stopped;

    private FakeManagedIdentityEndpoint(WebApplication app, FederatedIdentityCredentials entra, string tenant)
    {
        _app = app;
        _entra = entra;
        _tenant = tenant;
    }

    public int Port { get; private set; }

    /// <summary>The value of <c>IDENTITY_HEADER</c>: a secret of the platform, random per endpoint.</summary>
    public string Secret { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>What the platform sets as <c>IDENTITY_ENDPOINT</c>.</summary>
    public string Endpoint => $"http://127.0.0.1:{Port}/msi/token";

    /// <summary>Every request that reached the endpoint, as the platform read its query.</summary>
    public ConcurrentQueue<IdentityTokenRequest> Requests { get; } = new();

    /// <summary>Every token handed out, so tests can search signals for them.</summary>
    public ConcurrentBag<string> IssuedTokens { get; } = [];

    /// <summary>When set, every request is answered with this status and the platform's error body.</summary>
    public HttpStatusCode? FailureStatus { get; set; }

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Runs before each answer, e.g. to hold it (an endpoint that does not answer).</summary>
    public Func<CancellationToken, Task>? BeforeAnswer { get; set; }

    /// <summary>The process environment App Service gives the app: only this endpoint, no other source.</summary>
    public IReadOnlyDictionary<string, string?> EnvironmentVariables => new Dictionary<string, string?>
    {
        ["IDENTITY_ENDPOINT"] = Endpoint,
        ["IDENTITY_HEADER"] = Secret,
        ["MSI_ENDPOINT"] = null,
        ["MSI_SECRET"] = null,
        ["IMDS_ENDPOINT"] = null,
        ["IDENTITY_SERVER_THUMBPRINT"] = null,
        ["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = null,
    };

    /// <summary>Starts the endpoint of an app in <paramref name="tenant"/>, its tokens issued by <paramref name="entra"/>.</summary>
    public static async Task<FakeManagedIdentityEndpoint> StartAsync(FakeEntraId entra, string tenant)
    {
        var app = LoopbackHost.Create(https: false);
        var endpoint = new FakeManagedIdentityEndpoint(app, entra.FederatedCredentials, tenant);
        app.MapGet("/msi/token", async (HttpContext context) =>
        {
            if (endpoint.BeforeAnswer is { } hold)
            {
                await hold(context.RequestAborted);
            }

            return endpoint.Answer(context);
        });
        await app.StartAsync();
        endpoint.Port = LoopbackHost.PortOf(app);
        return endpoint;
    }

    /// <summary>Assigns a new user-assigned identity to the app.</summary>
    public AssignedIdentity AssignUserAssignedIdentity()
    {
        var identity = AssignedIdentity.CreateNew();
        _identities[identity.ClientId] = identity;
        return identity;
    }

    /// <summary>Stops listening: the endpoint refuses connections, as a platform endpoint that is down.</summary>
    public async Task StopAsync()
    {
        _stopped = true;
        await _app.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await _app.StopAsync();
        }

        await _app.DisposeAsync();
    }

    private IResult Answer(HttpContext context)
    {
        var query = context.Request.Query;
        Requests.Enqueue(new IdentityTokenRequest(query["api-version"].ToString(), query["resource"].ToString(), query["client_id"].ToString()));
        if (FailureStatus is { } failure)
        {
            return Error(failure, "The managed identity service is unavailable.");
        }

        if (context.Request.Headers["X-IDENTITY-HEADER"] != Secret)
        {
            return Error(HttpStatusCode.Unauthorized, "The X-IDENTITY-HEADER is missing or wrong.");
        }

        if (query["api-version"] != "2019-08-01" || query["resource"] is not [{ Length: > 0 } resource])
        {
            return Error(HttpStatusCode.BadRequest, "api-version=2019-08-01 and resource are required.");
        }

        // Only user-assigned identities, by client id: a system-assigned one would be shared by every
        // test of the process in MSAL's managed-identity token cache.
        if (query["client_id"] is not [{ } clientId] || !_identities.TryGetValue(clientId, out var identity))
        {
            return Error(HttpStatusCode.BadRequest, "Unable to load the proper Managed Identity.");
        }

        var issuedAt = DateTimeOffset.UtcNow;
        var token = _entra.IssueManagedIdentityToken(_tenant, identity, resource, issuedAt, TokenLifetime);
        IssuedTokens.Add(token);
        return Results.Json(new JsonObject
        {
            ["access_token"] = token,
            ["expires_on"] = issuedAt.Add(TokenLifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            ["resource"] = resource,
            ["token_type"] = "Bearer",
            ["client_id"] = identity.ClientId,
        });
    }

    private static IResult Error(HttpStatusCode status, string message) => Results.Json(
        new JsonObject { ["statusCode"] = (int)status, ["message"] = message, ["correlationId"] = Guid.NewGuid().ToString() },
        statusCode: (int)status);
}

/// <summary>One request to the managed-identity endpoint, as its query read: empty where a parameter was absent.</summary>
public sealed record IdentityTokenRequest(string ApiVersion, string Resource, string ClientId);
