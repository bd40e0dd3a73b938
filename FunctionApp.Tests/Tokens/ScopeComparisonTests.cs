using TokenFunctions.Tests.Callers;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Tokens;

/// <summary>
/// RFC 6749 scopes are case-sensitive strings, and a token must never carry more than was asked for:
/// a generic OpenID Connect provider gets exactly that. Entra folds case, so Entra clients keep
/// Entra's rules. No scope outside RFC 6749's characters gets in at all.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class ScopeComparisonTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string ReadOrders = "read:orders";
    private const string WriteOrders = "write:orders";
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await EntraScenario.StartAsync(azurite.Server);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    private void UseOidcAuthority()
    {
        _scenario.Settings.Remove($"Clients__{EntraScenario.Client}__Authority");
        _scenario.Settings[$"Clients__{EntraScenario.Client}__OidcAuthority"] = $"https://{FakeEntraId.OidcHost}";
    }

    [Fact]
    public async Task An_oidc_token_for_more_scopes_is_never_served_to_a_request_for_fewer()
    {
        UseOidcAuthority();
        await using var app = _scenario.StartProcess();

        var both = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { ReadOrders, WriteOrders } });
        var readOnly = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { ReadOrders } });

        Assert.Equal(200, both.Status);
        Assert.Equal(200, readOnly.Status);
        Assert.NotEqual(both.Text("access_token"), readOnly.Text("access_token"));
        Assert.Equal(ReadOrders, _scenario.Entra.TokenRequests.Last().Form["scope"]);
    }

    [Fact]
    public async Task Oidc_scopes_that_differ_in_case_are_different_scopes()
    {
        UseOidcAuthority();
        await using var app = _scenario.StartProcess();

        var lower = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { ReadOrders } });
        var upper = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "READ:orders" } });

        Assert.NotEqual(lower.Text("access_token"), upper.Text("access_token"));
        Assert.Equal(["read:orders", "READ:orders"], _scenario.Entra.TokenRequests.Select(r => r.Form["scope"]));

        await using var next = _scenario.StartProcess();
        var upperOnNewInstance = await next.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "READ:orders" } });
        Assert.Equal(upper.Text("access_token"), upperOnNewInstance.Text("access_token"));
    }

    [Fact]
    public async Task An_oidc_caller_allowed_a_scope_is_not_allowed_it_in_another_case()
    {
        UseOidcAuthority();
        _scenario.Settings["WEBSITE_AUTH_ENABLED"] = "True";
        _scenario.Settings[$"Clients__{EntraScenario.Client}__AllowedCallers__0__Id"] = "11111111-1111-1111-1111-111111111111";
        _scenario.Settings[$"Clients__{EntraScenario.Client}__AllowedCallers__0__Scopes__0"] = ReadOrders;
        await using var app = _scenario.StartProcess();
        var headers = new Dictionary<string, string>
        {
            ["X-MS-CLIENT-PRINCIPAL"] = ClientPrincipalHeader.Encode("azp=11111111-1111-1111-1111-111111111111;oid=77777777-7777-7777-7777-777777777777;sub=77777777-7777-7777-7777-777777777777"),
        };

        Assert.Equal(200, (await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { ReadOrders } }, headers)).Status);
        Assert.Equal(403, (await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "READ:orders" } }, headers)).Status);
    }

    [Theory]
    [InlineData("api://inventory/\u212A")]         // the Kelvin sign, which lower-cases to an ASCII k
    [InlineData("api://inventory/caf\u00e9")]
    [InlineData("api://inventory/\"quoted\"")]
    [InlineData("api://inventory/back\\slash")]
    public async Task A_scope_outside_rfc_6749s_characters_is_an_invalid_request(string scope)
    {
        await using var app = _scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { scope } });

        Assert.Equal(400, response.Status);
        Assert.Equal("invalid_request", response.Text("error"));
        Assert.Equal(0, _scenario.Entra.TokenCalls());
    }
}
