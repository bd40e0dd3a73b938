using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Functions;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Credentials;

/// <summary>
/// The app's managed identity as a federated credential of the app registration: the real
/// ManagedIdentityCredential gets the identity's token from the platform's endpoint (App Service's
/// protocol, from the process environment), MSAL sends it as the client assertion, and the fake Entra
/// checks it as Entra checks a federated credential. No certificate, no secret.
/// </summary>
[Collection(ManagedIdentityClients.Name)]
public sealed class ManagedIdentityAssertionTests(AzuriteFixture azurite)
{
    private const string JwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    [Fact]
    public async Task Tokens_come_with_the_identitys_token_as_the_assertion_and_the_identity_endpoint_is_asked_once()
    {
        await using var scenario = await IdentityAssertionScenario.StartAsync(azurite.Server);
        await using var app = scenario.StartProcess();

        var responses = new List<FunctionResponse>();
        foreach (var resource in new[] { "api://inventory", "api://billing", "api://shipping" })
        {
            responses.Add(await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { $"{resource}/.default" } }));
        }

        Assert.All(responses, r => Assert.Equal(200, r.Status));
        Assert.All(responses, r => Assert.Equal("identity_provider", r.Text("token_source")));
        var requests = scenario.FakeEntra.TokenRequestsOf(scenario.Entra.ClientId);
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal(JwtBearer, r.Form["client_assertion_type"]));
        var assertion = Assert.Single(scenario.Endpoint.IssuedTokens);
        Assert.All(requests, r => Assert.Equal(assertion, r.Form["client_assertion"]));
        Assert.Equal(
            new IdentityTokenRequest("2019-08-01", FederatedIdentityCredentials.TokenExchangeAudience, scenario.Identity.ClientId),
            Assert.Single(scenario.Endpoint.Requests));
        Assert.Equal("loaded", await CredentialAsync(app));
    }

    [Fact]
    public async Task The_identity_the_client_names_is_used_instead_of_the_apps_own()
    {
        await using var scenario = await IdentityAssertionScenario.StartAsync(azurite.Server, trustIdentity: false);
        var trusted = scenario.Endpoint.AssignUserAssignedIdentity();
        scenario.Trust(trusted);
        scenario.Entra.Settings[$"Clients__{EntraScenario.Client}__ManagedIdentityAssertion__ClientId"] = trusted.ClientId;
        await using var app = scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal(200, response.Status);
        Assert.Equal(trusted.ClientId, Assert.Single(scenario.Endpoint.Requests).ClientId);
    }

    public static TheoryData<string, long> Refusals() => new()
    {
        { "wrong audience", 700212 },
        { "unknown subject", 700213 },
        { "expired assertion", 700024 },
        { "issuer of another tenant", 700211 },
        { "no federated credential", 70021 },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Entras_refusal_of_the_identitys_token_is_a_502_with_its_code_and_health_shows_the_credential_failing(string refusal, long code)
    {
        await using var scenario = await IdentityAssertionScenario.StartAsync(azurite.Server, trustIdentity: false);
        switch (refusal)
        {
            case "wrong audience":
                // The federated credential names an audience of its own; the broker asks for the default.
                scenario.Trust(scenario.Identity, audience: "api://orders-token-exchange");
                break;
            case "unknown subject":
                scenario.Trust(AssignedIdentity.CreateNew());
                break;
            case "expired assertion":
                scenario.Trust(scenario.Identity);
                // By Entra's clock the identity's day-long token has run out; by the worker's it has not.
                scenario.FakeEntra.Time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(2));
                break;
            case "issuer of another tenant":
                scenario.Trust(scenario.Identity, issuer: FederatedIdentityCredentials.Issuer(Guid.NewGuid().ToString()));
                break;
        }

        await using var app = scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.True(502 == response.Status, response.Body);
        Assert.Equal([code], response.Json.GetProperty("error_codes").EnumerateArray().Select(c => c.GetInt64()));
        Assert.Contains($"AADSTS{code}", response.Text("error_description"), StringComparison.Ordinal);
        Assert.Contains($"client '{EntraScenario.Client}'", response.Text("error_description"), StringComparison.Ordinal);
        Assert.Single(scenario.FakeEntra.TokenRequestsOf(scenario.Entra.ClientId));
        Assert.Equal("failing", await CredentialAsync(app));
        Assert.Equal("assertion_rejected", await FailureAsync(app));
        AssertNoSecretIn(scenario, app, response.Body);
    }

    [Fact]
    public async Task Once_the_app_registration_trusts_the_identity_the_next_request_succeeds_and_health_recovers()
    {
        await using var scenario = await IdentityAssertionScenario.StartAsync(azurite.Server, trustIdentity: false);
        await using var app = scenario.StartProcess();
        Assert.Equal(502, (await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } })).Status);
        Assert.Equal("failing", await CredentialAsync(app));

        scenario.Trust(scenario.Identity);
        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal(200, response.Status);
        Assert.Equal("loaded", await CredentialAsync(app));
        Assert.Single(scenario.Endpoint.Requests);
    }

    [Fact]
    public async Task An_identity_endpoint_that_is_down_is_a_503_naming_the_client_and_the_identity_and_entra_is_not_called()
    {
        await using var scenario = await IdentityAssertionScenario.StartAsync(azurite.Server);
        await scenario.Endpoint.StopAsync();
        await using var app = scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal(503, response.Status);
        Assert.Equal("temporarily_unavailable", response.Text("error"));
        Assert.Contains($"Client '{EntraScenario.Client}'", response.Text("error_description"), StringComparison.Ordinal);
        Assert.Contains(scenario.Identity.ClientId, response.Text("error_description"), StringComparison.Ordinal);
        Assert.Empty(scenario.FakeEntra.TokenRequestsOf(scenario.Entra.ClientId));
        Assert.Equal("failing", await CredentialAsync(app));
        Assert.Equal("identity_unreachable", await FailureAsync(app));
        AssertNoSecretIn(scenario, app, response.Body);
    }

    [Fact]
    public async Task An_identity_endpoint_that_does_not_answer_within_the_budget_is_a_503_naming_the_identity_not_entra()
    {
        await using var scenario = await IdentityAssertionScenario.StartAsync(azurite.Server);
        var arrived = new SemaphoreSlim(0);
        scenario.Endpoint.BeforeAnswer = async ct =>
        {
            arrived.Release();
            await Task.Delay(Timeout.Infinite, ct);
        };
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = scenario.StartProcess(time);

        var pending = app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });
        await arrived.WaitAsync();
        time.Advance(TimeSpan.FromSeconds(10)); // Http__RequestBudget's default
        var response = await pending;

        Assert.True(503 == response.Status, response.Body);
        Assert.Equal("temporarily_unavailable", response.Text("error"));
        Assert.Contains($"Client '{EntraScenario.Client}'", response.Text("error_description"), StringComparison.Ordinal);
        Assert.Contains(scenario.Identity.ClientId, response.Text("error_description"), StringComparison.Ordinal);
        Assert.DoesNotContain("Entra did not answer", response.Text("error_description"), StringComparison.Ordinal);
        Assert.Empty(scenario.FakeEntra.TokenRequestsOf(scenario.Entra.ClientId));
        AssertNoSecretIn(scenario, app, response.Body);
    }

    [Theory]
    [InlineData("failing", "answered 500")]
    [InlineData("identity not assigned to the app", "answered 400")]
    public async Task An_identity_endpoint_that_refuses_is_a_503_naming_the_client_the_identity_and_its_answer(string refusal, string answer)
    {
        await using var scenario = await IdentityAssertionScenario.StartAsync(azurite.Server);
        var named = scenario.Identity;
        if (refusal == "failing")
        {
            scenario.Endpoint.FailureStatus = HttpStatusCode.InternalServerError;
        }
        else
        {
            named = AssignedIdentity.CreateNew();
            scenario.Entra.Settings[$"Clients__{EntraScenario.Client}__ManagedIdentityAssertion__ClientId"] = named.ClientId;
        }

        await using var app = scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.True(503 == response.Status, response.Body);
        Assert.Equal("temporarily_unavailable", response.Text("error"));
        Assert.Contains($"Client '{EntraScenario.Client}'", response.Text("error_description"), StringComparison.Ordinal);
        Assert.Contains(named.ClientId, response.Text("error_description"), StringComparison.Ordinal);
        Assert.Contains(answer, response.Text("error_description"), StringComparison.Ordinal);
        Assert.NotEmpty(scenario.Endpoint.Requests);
        Assert.Empty(scenario.FakeEntra.TokenRequestsOf(scenario.Entra.ClientId));
        Assert.Equal("failing", await CredentialAsync(app));
        Assert.Equal("identity_refused", await FailureAsync(app));
        AssertNoSecretIn(scenario, app, response.Body);
    }

    private static async Task<string?> CredentialAsync(AppProcess app) =>
        (await app.GetHealthAsync()).Json.GetProperty("clients").GetProperty(EntraScenario.Client).GetProperty("credential").GetString();

    private static async Task<string?> FailureAsync(AppProcess app) =>
        (await app.GetHealthAsync()).Json.GetProperty("clients").GetProperty(EntraScenario.Client).TryGetProperty("failure", out var failure)
            ? failure.GetString()
            : null;

    /// <summary>Neither the identity's tokens nor the platform's identity header appear in the body or any log line.</summary>
    private static void AssertNoSecretIn(IdentityAssertionScenario scenario, AppProcess app, string body)
    {
        var secrets = scenario.Endpoint.IssuedTokens.Append(scenario.Endpoint.Secret).ToList();
        var signals = app.Logs.Lines.Select(l => $"{l.Message} {l.Exception}").Append(body).ToList();
        Assert.All(secrets, secret => Assert.DoesNotContain(signals, s => s.Contains(secret, StringComparison.Ordinal)));
        Assert.NotEmpty(app.Logs.Lines);
    }
}
