using System.Net;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Functions;

/// <summary>On-behalf-of tokens for a middle-tier API, cached per user assertion.</summary>
[Collection(UsesAzurite.Name)]
public sealed class OnBehalfOfTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Downstream = "api://downstream/read";
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await EntraScenario.StartAsync(azurite.Server);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    private FakeEntraId Entra => _scenario.Entra;

    private static object Body(string assertion, string? claims = null) =>
        new { scopes = new[] { Downstream }, user_assertion = assertion, claims_challenge = claims };

    [Fact]
    public async Task The_exchange_is_cached_per_assertion_in_memory_and_in_the_table_and_users_never_share_a_token()
    {
        var alice = Entra.IssueUserAssertion("alice", _scenario.ClientId);
        var bob = Entra.IssueUserAssertion("bob", _scenario.ClientId);
        await using var app = _scenario.StartProcess();

        var first = await app.PostOnBehalfOfAsync(EntraScenario.Client, Body(alice));
        var again = await app.PostOnBehalfOfAsync(EntraScenario.Client, Body(alice));
        var forBob = await app.PostOnBehalfOfAsync(EntraScenario.Client, Body(bob));

        Assert.Equal(200, first.Status);
        Assert.Equal("identity_provider", first.Text("token_source"));
        Assert.Equal("cache", again.Text("token_source"));
        Assert.Equal(first.Text("access_token"), again.Text("access_token"));
        Assert.Equal("identity_provider", forBob.Text("token_source"));
        Assert.NotEqual(first.Text("access_token"), forBob.Text("access_token"));
        Assert.Equal(2, Entra.TokenCalls(grantType: "urn:ietf:params:oauth:grant-type:jwt-bearer"));

        await using var cold = _scenario.StartProcess();
        var fromTable = await cold.PostOnBehalfOfAsync(EntraScenario.Client, Body(alice));
        Assert.Equal("cache", fromTable.Text("token_source"));
        Assert.Equal(first.Text("access_token"), fromTable.Text("access_token"));
        Assert.Equal(2, Entra.TokenCalls());

        var request = Entra.TokenRequests.First();
        Assert.Equal(FakeEntraId.GlobalHost, request.Host);
        Assert.Equal("on_behalf_of", request.Form["requested_token_use"]);
        Assert.Contains("offline_access", request.Form["scope"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_behalf_of_always_uses_the_global_endpoint_even_for_a_regional_client()
    {
        _scenario.Settings[$"Clients__{EntraScenario.Client}__AzureRegion"] = "westus2";
        Entra.RouteEntraHosts(_scenario.Routing, "westus2");
        await using var app = _scenario.StartProcess();

        var response = await app.PostOnBehalfOfAsync(EntraScenario.Client, Body(Entra.IssueUserAssertion("alice", _scenario.ClientId)));

        Assert.Equal(200, response.Status);
        Assert.Equal(1, Entra.TokenCalls(host: FakeEntraId.GlobalHost));
    }

    [Fact]
    public async Task Interaction_required_comes_back_as_a_400_with_entras_claims_for_the_caller_to_send_the_user_back()
    {
        const string claims = """{"access_token":{"capolids":{"essential":true,"values":["c1"]}}}""";
        Entra.Fault = _ => FakeResponse.EntraError(HttpStatusCode.BadRequest, "interaction_required", 50076,
            "AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor authentication.",
            suberror: "basic_action", claims: claims);
        await using var app = _scenario.StartProcess();

        var response = await app.PostOnBehalfOfAsync(EntraScenario.Client, Body(Entra.IssueUserAssertion("alice", _scenario.ClientId)));

        Assert.Equal(400, response.Status);
        Assert.Equal("interaction_required", response.Text("error"));
        Assert.Equal(claims, response.Text("claims"));
        Assert.Equal("basic_action", response.Text("suberror"));
        Assert.Equal(50076, response.Json.GetProperty("error_codes")[0].GetInt64());
        Assert.Contains("AADSTS50076", response.Text("error_description"));
    }

    [Fact]
    public async Task A_claims_challenge_bypasses_the_cache_and_entra_sees_it_merged_with_the_client_capabilities()
    {
        _scenario.Settings[$"Clients__{EntraScenario.Client}__ClientCapabilities__0"] = "CP1";
        var alice = Entra.IssueUserAssertion("alice", _scenario.ClientId);
        await using var app = _scenario.StartProcess();
        var cached = await app.PostOnBehalfOfAsync(EntraScenario.Client, Body(alice));

        var challenged = await app.PostOnBehalfOfAsync(EntraScenario.Client, Body(alice, """{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"""));

        Assert.Equal("identity_provider", challenged.Text("token_source"));
        Assert.NotEqual(cached.Text("access_token"), challenged.Text("access_token"));
        var sent = Entra.TokenRequests.Last().Form["claims"];
        Assert.Contains("\"nbf\"", sent, StringComparison.Ordinal);
        Assert.Contains("xms_cc", sent, StringComparison.Ordinal);
        Assert.Contains("CP1", sent, StringComparison.Ordinal);
        Assert.Contains("xms_cc", Entra.TokenRequests.First().Form["claims"], StringComparison.Ordinal);
        Assert.Equal("cache", (await app.PostOnBehalfOfAsync(EntraScenario.Client, Body(alice))).Text("token_source"));
    }

    [Fact]
    public async Task Client_capabilities_alone_do_not_bypass_the_cache()
    {
        _scenario.Settings[$"Clients__{EntraScenario.Client}__ClientCapabilities__0"] = "CP1";
        await using var app = _scenario.StartProcess();

        await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });
        var second = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal("cache", second.Text("token_source"));
        Assert.Contains("CP1", Entra.TokenRequests.Single().Form["claims"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exclude_scopes_removes_the_reserved_scopes_msal_adds()
    {
        _scenario.Settings[$"Clients__{EntraScenario.Client}__ExcludeScopes__0"] = "offline_access";
        await using var app = _scenario.StartProcess();

        var response = await app.PostOnBehalfOfAsync(EntraScenario.Client, Body(Entra.IssueUserAssertion("alice", _scenario.ClientId)));

        Assert.Equal(200, response.Status);
        var sent = Entra.TokenRequests.Single().Form["scope"].Split(' ');
        Assert.DoesNotContain("offline_access", sent);
        Assert.Contains(Downstream, sent);
        Assert.Contains("openid", sent);
    }

    [Fact]
    public async Task An_expired_assertion_is_refused_without_calling_entra()
    {
        var expired = Entra.IssueUserAssertion("alice", _scenario.ClientId, TimeSpan.FromMinutes(-5));
        await using var app = _scenario.StartProcess();

        var response = await app.PostOnBehalfOfAsync(EntraScenario.Client, Body(expired));

        Assert.Equal(400, response.Status);
        Assert.Equal("invalid_grant", response.Text("error"));
        Assert.Equal(0, Entra.TokenCalls());
    }

    [Theory]
    [InlineData(null, "\"user_assertion\" is required")]
    [InlineData("not-a-jwt", "must be a JWT")]
    [InlineData("a.b.c", "must be a JWT")]
    public async Task A_malformed_assertion_is_a_400_naming_the_field(string? assertion, string explanation)
    {
        await using var app = _scenario.StartProcess();

        var response = await app.PostOnBehalfOfAsync(EntraScenario.Client, new { scopes = new[] { Downstream }, user_assertion = assertion });

        Assert.Equal(400, response.Status);
        Assert.Equal("invalid_request", response.Text("error"));
        Assert.Contains(explanation, response.Text("error_description"));
        Assert.Equal(0, Entra.TokenCalls());
    }

    [Fact]
    public async Task An_oversized_assertion_is_refused()
    {
        var huge = Entra.IssueUserAssertion("alice", _scenario.ClientId) + new string('A', 17 * 1024);
        await using var app = _scenario.StartProcess();

        var response = await app.PostOnBehalfOfAsync(EntraScenario.Client, Body(huge));

        Assert.Equal(400, response.Status);
        Assert.Contains("user_assertion", response.Text("error_description"));
    }
}
