using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using TokenFunctions.Functions;
using TokenFunctions.Tests.Callers;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Functions;

/// <summary>The caller policy as the token endpoints apply it: on the principal the platform vouches for, before Entra.</summary>
[Collection(UsesAzurite.Name)]
public sealed class CallerAdmissionTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string OrdersApp = "11111111-1111-1111-1111-111111111111";
    private const string AppObject = "77777777-7777-7777-7777-777777777777";
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync()
    {
        _scenario = await EntraScenario.StartAsync(azurite.Server);
        _scenario.Settings[$"Clients__{EntraScenario.Client}__AllowedCallers__0__Id"] = OrdersApp;
        _scenario.Settings[$"Clients__{EntraScenario.Client}__AllowedCallers__0__Scopes__0"] = EntraScenario.Scope;
    }

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    [Theory]
    [InlineData("allowed caller, allowed scope", EntraScenario.Scope, true, $"appid={OrdersApp};oid={AppObject};sub={AppObject}", 200)]
    [InlineData("forged principal, platform auth off", EntraScenario.Scope, false, $"appid={OrdersApp};oid={AppObject};sub={AppObject}", 401)]
    [InlineData("no principal", EntraScenario.Scope, true, null, 401)]
    [InlineData("allowed caller, other scope", "api://reports/.default", true, $"appid={OrdersApp};oid={AppObject};sub={AppObject}", 403)]
    public async Task A_refused_caller_gets_an_oauth_error_and_entra_is_never_called(
        string @case, string scope, bool platformAuthentication, string? principal, int expected)
    {
        _scenario.Settings["WEBSITE_AUTH_ENABLED"] = platformAuthentication ? "True" : "False";
        await using var app = _scenario.StartProcess();
        var headers = principal is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["X-MS-CLIENT-PRINCIPAL"] = ClientPrincipalHeader.Encode(principal) };

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { scope } }, headers);

        Assert.True(expected == response.Status, $"{@case}: {response}");
        if (expected != 200)
        {
            Assert.Equal(0, _scenario.Entra.TokenCalls());
            Assert.False(string.IsNullOrEmpty(response.Text("error")));
            Assert.False(string.IsNullOrEmpty(response.Text("correlation_id")));
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("False")]
    [InlineData("true-ish")]
    public void The_principal_header_is_ignored_unless_the_platform_says_its_authentication_is_on(string? websiteAuthEnabled)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["WEBSITE_AUTH_ENABLED"] = websiteAuthEnabled }).Build();
        var request = new DefaultHttpContext().Request;
        request.Headers["X-MS-CLIENT-PRINCIPAL"] = ClientPrincipalHeader.Encode($"appid={OrdersApp};oid={AppObject};sub={AppObject}");

        Assert.Null(new AppServiceAuthentication(configuration).CallerOf(request));
    }

    [Fact]
    public void With_the_platforms_authentication_on_the_header_names_the_caller()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["WEBSITE_AUTH_ENABLED"] = "True" }).Build();
        var request = new DefaultHttpContext().Request;
        request.Headers["X-MS-CLIENT-PRINCIPAL"] = ClientPrincipalHeader.Encode($"appid={OrdersApp};oid={AppObject};sub={AppObject}");

        Assert.Equal(OrdersApp, new AppServiceAuthentication(configuration).CallerOf(request)?.ApplicationId);
    }
}
