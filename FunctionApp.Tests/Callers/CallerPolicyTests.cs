using System.Text;
using System.Text.Json;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Callers;

/// <summary>Design §8: a broker that hands any caller any token is a breach waiting to happen.</summary>
[Collection(UsesAzurite.Name)]
public sealed class CallerPolicyTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string OrdersApp = "11111111-1111-1111-1111-111111111111";
    private const string ReportsObject = "22222222-2222-2222-2222-222222222222";
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync()
    {
        _scenario = await EntraScenario.StartAsync(azurite.Server);
        _scenario.Settings[$"Clients__{EntraScenario.Client}__AllowedCallers__0__Id"] = OrdersApp;
        _scenario.Settings[$"Clients__{EntraScenario.Client}__AllowedCallers__0__Scopes__0"] = EntraScenario.Scope;
        _scenario.Settings[$"Clients__{EntraScenario.Client}__AllowedCallers__1__Id"] = ReportsObject;
        _scenario.Settings[$"Clients__{EntraScenario.Client}__AllowedCallers__1__Scopes__0"] = "api://reports/.default";
    }

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    public static TheoryData<string, string, bool, string?, int> Matrix => new()
    {
        // case, scope, platform auth on, principal (appid|oid), expected status
        { "no principal", EntraScenario.Scope, true, null, 401 },
        { "forged principal, platform auth off", EntraScenario.Scope, false, $"appid={OrdersApp}", 401 },
        { "allowed caller, allowed scope", EntraScenario.Scope, true, $"appid={OrdersApp}", 200 },
        { "allowed caller by azp (v2 token)", EntraScenario.Scope, true, $"azp={OrdersApp}", 200 },
        { "allowed caller, scope in other case", "API://INVENTORY/.DEFAULT", true, $"appid={OrdersApp}", 200 },
        { "allowed caller, other scope", "api://reports/.default", true, $"appid={OrdersApp}", 403 },
        { "allowed caller, a named scope is not .default", "api://inventory/read", true, $"appid={OrdersApp}", 403 },
        { "caller allowed by object id", "api://reports/.default", true, $"oid={ReportsObject}", 200 },
        { "unknown caller", EntraScenario.Scope, true, "appid=33333333-3333-3333-3333-333333333333", 403 },
        { "unreadable principal header", EntraScenario.Scope, true, "garbage", 401 },
        { "a user's delegated token through the allowed app", EntraScenario.Scope, true, $"appid={OrdersApp};scp=user_impersonation", 403 },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Who_may_ask_for_what(string @case, string scope, bool platformAuthentication, string? principal, int expected)
    {
        _scenario.Settings["WEBSITE_AUTH_ENABLED"] = platformAuthentication ? "True" : "False";
        await using var app = _scenario.StartProcess();
        var headers = principal is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["X-MS-CLIENT-PRINCIPAL"] = Encode(principal) };

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { scope } }, headers);

        Assert.True(expected == response.Status, $"{@case}: {response}");
        if (expected != 200)
        {
            Assert.Equal(0, _scenario.Entra.TokenCalls());
            Assert.False(string.IsNullOrEmpty(response.Text("error")));
            Assert.False(string.IsNullOrEmpty(response.Text("correlation_id")));
        }
    }

    [Fact]
    public async Task A_client_without_allowed_callers_serves_any_key_holder()
    {
        foreach (var key in _scenario.Settings.Keys.Where(k => k.Contains("AllowedCallers", StringComparison.Ordinal)).ToList())
        {
            _scenario.Settings.Remove(key);
        }

        await using var app = _scenario.StartProcess();

        Assert.Equal(200, (await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://anything/.default" } })).Status);
    }

    private static string Encode(string principal)
    {
        if (principal == "garbage")
        {
            return "%%%not-base64%%%";
        }

        var claims = principal.Split(';').Select(c => new { typ = c.Split('=')[0], val = c.Split('=')[1] }).Append(new { typ = "ver", val = "1.0" });
        var json = JsonSerializer.Serialize(new
        {
            auth_typ = "aad",
            claims,
            name_typ = "name",
            role_typ = "roles",
        });
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json));
    }
}
