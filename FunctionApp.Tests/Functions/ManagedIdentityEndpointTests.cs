using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Callers;
using TokenFunctions.Telemetry;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Functions;

/// <summary>
/// The managed-identity endpoint's answers, case by case: every permanent error is one the SDKs do
/// not retry (never 404, 408, 429, 5xx), carries the contract's error JSON, and costs no Entra call.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class ManagedIdentityEndpointTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Resource = "api://inventory";
    private static readonly IdentitySecret Ci = IdentitySecret.Create("ci", Resource, "https://vault.azure.net");
    private static readonly IdentitySecret Rotated = IdentitySecret.Create("ci-next", Resource);

    private EntraScenario _scenario = null!;

    public async Task InitializeAsync()
    {
        _scenario = await EntraScenario.StartAsync(azurite.Server);
        Ci.Configure(_scenario.Settings, EntraScenario.Client, 0);
        Rotated.Configure(_scenario.Settings, EntraScenario.Client, 1);
    }

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    private static string Query(string resource = Resource) => $"api-version=2019-08-01&resource={resource}";

    public static TheoryData<string, string, string?, int, string> Refusals => new()
    {
        { "no header", Query(), null, 401, "invalid_client" },
        { "empty header", Query(), "", 401, "invalid_client" },
        { "wrong header", Query(), "not-the-secret", 401, "invalid_client" },
        { "the hash as the header", Query(), Ci.SecretSha256, 401, "invalid_client" },
        { "resource not allowed", Query("api://payroll"), Ci.Secret, 403, "access_denied" },
        { "resource of the other caller only", Query("https://vault.azure.net"), Rotated.Secret, 403, "access_denied" },
        { "missing resource", "api-version=2019-08-01", Ci.Secret, 400, "invalid_request" },
        { "empty resource", "api-version=2019-08-01&resource=", Ci.Secret, 400, "invalid_request" },
        { "a scope, not a resource", Query("api://inventory/.default"), Ci.Secret, 400, "invalid_request" },
        { "two resources", Query("api://inventory%20api://payroll"), Ci.Secret, 400, "invalid_request" },
        { "missing api-version", $"resource={Resource}", Ci.Secret, 400, "invalid_request" },
        { "older api-version", $"api-version=2017-09-01&resource={Resource}", Ci.Secret, 400, "invalid_request" },
        { "newer api-version", $"api-version=2025-01-01&resource={Resource}", Ci.Secret, 400, "invalid_request" },
        { "api-version twice, disagreeing", $"api-version=2019-08-01&{Query()}&api-version=2017-09-01", Ci.Secret, 400, "invalid_request" },
        { "client_id of another identity", $"{Query()}&client_id={Guid.NewGuid()}", Ci.Secret, 400, "invalid_request" },
        { "object_id", $"{Query()}&object_id={Guid.NewGuid()}", Ci.Secret, 400, "invalid_request" },
        { "principal_id", $"{Query()}&principal_id={Guid.NewGuid()}", Ci.Secret, 400, "invalid_request" },
        { "mi_res_id", $"{Query()}&mi_res_id=/subscriptions/x/resourceGroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/z", Ci.Secret, 400, "invalid_request" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refused_request_gets_a_status_the_sdks_do_not_retry_and_the_contracts_error(string @case, string query, string? header, int status, string error)
    {
        await using var app = _scenario.StartProcess();

        var response = await app.GetManagedIdentityTokenAsync(EntraScenario.Client, query, header);

        Assert.True(response.Status == status, $"{@case}: {response}");
        Assert.Equal(error, response.Text("error"));
        Assert.False(string.IsNullOrEmpty(response.Text("error_description")), @case);
        Assert.False(string.IsNullOrEmpty(response.Text("correlation_id")), @case);
        Assert.Equal("no-store", response.Headers.CacheControl.ToString());
        Assert.Equal(0, _scenario.Entra.TokenCalls());
    }

    [Theory]
    [InlineData("no-such-client")]
    [InlineData("unserved")]
    public async Task An_unknown_client_or_one_without_managed_identity_callers_is_400_not_404(string client)
    {
        _scenario.Settings["Clients__unserved__ClientId"] = Guid.NewGuid().ToString();
        _scenario.Settings["Clients__unserved__Authority"] = _scenario.Settings[$"Clients__{EntraScenario.Client}__Authority"];
        _scenario.Settings["Clients__unserved__ClientSecret"] = "unserved-secret";
        await using var app = _scenario.StartProcess();

        var response = await app.GetManagedIdentityTokenAsync(client, Query(), Ci.Secret);

        Assert.Equal(400, response.Status);
        Assert.Equal("invalid_request", response.Text("error"));
        Assert.Equal($"No client named '{client}' serves the managed-identity protocol.", response.Text("error_description"));
    }

    [Fact]
    public async Task Either_of_two_secrets_is_accepted_and_the_answer_is_the_protocols_shape()
    {
        await using var app = _scenario.StartProcess();

        var first = await app.GetManagedIdentityTokenAsync(EntraScenario.Client, Query(), Ci.Secret);
        var second = await app.GetManagedIdentityTokenAsync(EntraScenario.Client, $"{Query("API://Inventory")}&client_id={_scenario.ClientId.ToUpperInvariant()}", Rotated.Secret);

        Assert.True(first.Status == 200, first.ToString());
        Assert.Contains(first.Text("access_token"), _scenario.Entra.IssuedTokens);
        var expiresOn = long.Parse(first.Text("expires_on")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(expiresOn > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.InRange(first.Json.GetProperty("expires_in").GetInt64(), 3500, 3600);
        Assert.Equal(Resource, first.Text("resource"));
        Assert.Equal("Bearer", first.Text("token_type"));
        Assert.Equal(_scenario.ClientId, first.Text("client_id"));

        Assert.True(second.Status == 200, second.ToString());
        Assert.Equal(first.Text("access_token"), second.Text("access_token"));
        Assert.Equal("API://Inventory", second.Text("resource"));
        Assert.Equal(1, _scenario.Entra.TokenCalls());
        Assert.Equal("api://inventory/.default", Assert.Single(_scenario.Entra.TokenRequests).Form["scope"]);
    }

    [Fact]
    public async Task A_token_fetched_through_the_json_api_is_served_from_cache_here_and_back()
    {
        await using var app = _scenario.StartProcess();

        var json = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });
        var managed = await app.GetManagedIdentityTokenAsync(EntraScenario.Client, Query(), Ci.Secret);
        var vault = await app.GetManagedIdentityTokenAsync(EntraScenario.Client, Query("https://vault.azure.net"), Ci.Secret);
        var jsonVault = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "https://vault.azure.net/.default" } });

        Assert.Equal(json.Text("access_token"), managed.Text("access_token"));
        Assert.Equal(vault.Text("access_token"), jsonVault.Text("access_token"));
        Assert.Equal("cache", jsonVault.Text("token_source"));
        Assert.Equal(2, _scenario.Entra.TokenCalls());
    }

    [Theory]
    [InlineData("code=abc?api-version=2019-08-01&resource=api://inventory")]
    [InlineData("api-version=2019-08-01&resource=api%3A%2F%2Finventory")]
    [InlineData("API-VERSION=2019-08-01&Resource=api://inventory&&")]
    [InlineData("resource=api://inventory&api-version=2019-08-01&api-version=2019-08-01")]
    public async Task The_query_is_read_as_the_clients_write_it(string query)
    {
        await using var app = _scenario.StartProcess();

        var response = await app.GetManagedIdentityTokenAsync(EntraScenario.Client, query, Ci.Secret);

        Assert.True(response.Status == 200, response.ToString());
        Assert.Equal(Resource, response.Text("resource"), ignoreCase: true);
    }

    [Fact]
    public async Task Entras_refusal_keeps_its_4xx_and_no_permanent_error_is_one_the_sdks_retry()
    {
        _scenario.Entra.Fault = _ => Fakes.FakeResponse.EntraError(System.Net.HttpStatusCode.BadRequest, "invalid_scope", 500011, "AADSTS500011: The resource principal was not found.");
        await using var app = _scenario.StartProcess();

        var response = await app.GetManagedIdentityTokenAsync(EntraScenario.Client, Query(), Ci.Secret);

        Assert.Equal(400, response.Status);
        Assert.Equal("invalid_scope", response.Text("error"));
        Assert.False(string.IsNullOrEmpty(response.Text("correlation_id")));
    }

    [Fact]
    public async Task Entra_refusing_the_brokers_credential_is_permanent_so_not_a_5xx_the_sdks_would_retry()
    {
        _scenario.Entra.Fault = _ => Fakes.FakeResponse.EntraError(System.Net.HttpStatusCode.Unauthorized, "invalid_client", 7000215, "AADSTS7000215: Invalid client secret provided.");
        await using var app = _scenario.StartProcess();

        var response = await app.GetManagedIdentityTokenAsync(EntraScenario.Client, Query(), Ci.Secret);

        Assert.Equal(400, response.Status);
        Assert.Equal("invalid_client", response.Text("error"));
        Assert.Contains("AADSTS7000215", response.Text("error_description"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_entra_outage_is_503_which_the_sdks_retry()
    {
        _scenario.Entra.Fault = _ => Fakes.FakeResponse.EntraError(System.Net.HttpStatusCode.InternalServerError, "server_error", 50000, "AADSTS50000: There was an error issuing a token.");
        await using var app = _scenario.StartProcess();

        var response = await app.GetManagedIdentityTokenAsync(EntraScenario.Client, Query(), Ci.Secret);

        Assert.Equal(503, response.Status);
        Assert.False(string.IsNullOrEmpty(response.Text("correlation_id")));
    }

    [Fact]
    public async Task Failed_header_checks_are_counted_logged_without_the_header_and_limited_per_client_while_a_valid_secret_still_passes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = _scenario.StartProcess(time);
        using var root = new System.Diagnostics.Activity("header failures").Start();
        using var signals = new CapturedSignals(app.Services.GetRequiredService<TokenTelemetry>().Meter, root.TraceId);
        var forwarded = new Dictionary<string, string> { ["X-Forwarded-For"] = "203.0.113.7, 10.0.0.1" };

        var answers = new List<FunctionResponse>();
        for (var i = 0; i < HeaderFailureLimit.FailuresPerWindow + 2; i++)
        {
            answers.Add(await app.GetManagedIdentityTokenAsync(EntraScenario.Client, Query(), $"guess-{i}", forwarded));
        }

        var valid = await app.GetManagedIdentityTokenAsync(EntraScenario.Client, Query(), Ci.Secret);
        time.Advance(HeaderFailureLimit.Window);
        var afterWindow = await app.GetManagedIdentityTokenAsync(EntraScenario.Client, Query(), "guess-again", forwarded);

        Assert.All(answers.Take(HeaderFailureLimit.FailuresPerWindow), a => Assert.Equal(401, a.Status));
        Assert.All(answers.Skip(HeaderFailureLimit.FailuresPerWindow), a => Assert.Equal(429, a.Status));
        Assert.Equal("60", answers[^1].Headers.RetryAfter.ToString());
        Assert.Equal(200, valid.Status);
        Assert.Equal(401, afterWindow.Status);

        var counted = signals.Measurements.Where(m => m.Instrument == "tokenfunctions.managed_identity.header_failures").ToList();
        Assert.Equal(HeaderFailureLimit.FailuresPerWindow + 3, counted.Sum(m => m.Value));
        var warnings = app.Logs.Lines.Where(l => l.Level == LogLevel.Warning && l.Category.EndsWith(nameof(ManagedIdentityCallers), StringComparison.Ordinal)).ToList();
        Assert.Equal(HeaderFailureLimit.FailuresPerWindow + 2, warnings.Count);
        Assert.All(warnings, w => Assert.Contains(EntraScenario.Client, w.Message, StringComparison.Ordinal));
        Assert.All(warnings, w => Assert.Contains("203.0.113.7", w.Message, StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Message.Contains("guess-", StringComparison.Ordinal) || l.Message.Contains(Ci.Secret, StringComparison.Ordinal));
    }
}
