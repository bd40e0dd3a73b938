using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Authorities;

/// <summary>The nearest regional endpoint, found cheaply, with short time budgets and failover to global.</summary>
[Collection(UsesAzurite.Name)]
public sealed class RegionalAcquisitionTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Setting = $"Clients__{EntraScenario.Client}__AzureRegion";
    private EntraScenario _scenario = null!;
    private FakeImds _imds = null!;

    public async Task InitializeAsync()
    {
        _scenario = await EntraScenario.StartAsync(azurite.Server);
        _scenario.Entra.RouteEntraHosts(_scenario.Routing, "eastus2", "westus2");
        _imds = await FakeImds.StartAsync();
        _imds.Route(_scenario.Routing);
    }

    public async Task DisposeAsync()
    {
        await _imds.DisposeAsync();
        await _scenario.DisposeAsync();
    }

    private FakeEntraId Entra => _scenario.Entra;

    [Fact]
    public async Task Functions_region_name_in_its_long_form_sends_requests_to_that_region_without_asking_imds()
    {
        _scenario.Settings[Setting] = "TryAutoDetect";
        _scenario.Settings["REGION_NAME"] = "East US 2";
        await using var app = _scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal(200, response.Status);
        Assert.Equal(1, Entra.TokenCalls(host: "eastus2.login.microsoft.com"));
        Assert.Equal(0, Entra.TokenCalls(host: FakeEntraId.GlobalHost));
        Assert.Equal(0, _imds.Calls);
    }

    [Fact]
    public async Task A_configured_region_is_used_as_given()
    {
        _scenario.Settings[Setting] = "westus2";
        await using var app = _scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal(200, response.Status);
        Assert.Equal(1, Entra.TokenCalls(host: "westus2.login.microsoft.com"));
        Assert.Equal(0, _imds.Calls);
    }

    [Fact]
    public async Task A_regional_token_in_the_table_is_served_to_a_new_instance_without_entra_or_msal()
    {
        _scenario.Settings[Setting] = "westus2";
        string stored;
        await using (var first = _scenario.StartProcess())
        {
            stored = (await first.Client(EntraScenario.Client).AcquireTokenForClientAsync([EntraScenario.Scope], null, default)).Token!.Value;
        }

        await using var next = _scenario.StartProcess();
        var result = await next.Client(EntraScenario.Client).AcquireTokenForClientAsync([EntraScenario.Scope], null, default);

        Assert.Equal((stored, TokenFunctions.Tokens.TokenSource.Cache), (result.Token!.Value, result.Token.Source));
        Assert.Equal(1, Entra.TokenCalls());
        Assert.Equal(1, next.Requests.TableRequests("GET"));
        Assert.Equal(0, next.Services.GetRequiredService<TokenFunctions.Tokens.MsalApplicationFactory>().ApplicationsBuilt);
    }

    [Fact]
    public async Task Imds_names_the_region_once_and_the_next_instance_reads_it_from_the_table()
    {
        // Time stands still, so a slow first answer on a busy machine is not taken for IMDS timing out.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _scenario.Settings[Setting] = "TryAutoDetect";
        await using (var first = _scenario.StartProcess(time))
        {
            Assert.Equal(200, (await first.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } })).Status);
        }

        await using var second = _scenario.StartProcess(time);
        var response = await second.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://other/.default" } });

        Assert.Equal(200, response.Status);
        Assert.Equal(2, Entra.TokenCalls(host: "westus2.login.microsoft.com"));
        Assert.Equal(1, _imds.Calls);
    }

    [Fact]
    public async Task A_hanging_imds_is_given_up_on_within_its_timeout_the_request_goes_global_and_no_outcome_is_persisted()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _imds.BeforeAnswer = ct => Task.Delay(Timeout.Infinite, ct);
        _scenario.Settings[Setting] = "TryAutoDetect";
        await using (var first = _scenario.StartProcess(time))
        {
            var pending = first.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });
            await _imds.FirstRequest.Task;
            time.Advance(TimeSpan.FromMilliseconds(300));
            Assert.Equal(200, (await pending).Status);
        }

        // A detection that got no answer says nothing about the region: the next instance asks again.
        _imds.BeforeAnswer = null;
        await using var second = _scenario.StartProcess(time);
        Assert.Equal(200, (await second.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://other/.default" } })).Status);

        Assert.Equal(1, Entra.TokenCalls(host: FakeEntraId.GlobalHost));
        Assert.Equal(1, Entra.TokenCalls(host: "westus2.login.microsoft.com"));
        Assert.Equal(2, _imds.Calls);
    }

    [Fact]
    public async Task A_black_holed_region_fails_over_within_the_attempt_timeout_and_the_circuit_then_skips_it_until_the_cool_down()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var regionalArrivals = new SemaphoreSlim(0);
        var blackHole = true;
        Entra.BeforeAnswer = async (request, ct) =>
        {
            if (request.Host == "westus2.login.microsoft.com" && blackHole)
            {
                regionalArrivals.Release();
                await Task.Delay(Timeout.Infinite, ct);
            }
        };
        _scenario.Settings[Setting] = "westus2";
        await using var app = _scenario.StartProcess(time);
        var client = app.Client(EntraScenario.Client);

        for (var i = 0; i < 3; i++)
        {
            var pending = client.AcquireTokenForClientAsync([$"api://resource-{i}/.default"], null, default).AsTask();
            await regionalArrivals.WaitAsync();
            time.Advance(TimeSpan.FromSeconds(2)); // the regional attempt timeout, not the 10 s budget
            Assert.True((await pending).Succeeded);
        }

        Assert.Equal(3, Entra.TokenCalls(host: FakeEntraId.GlobalHost));
        Assert.Contains(app.Logs.Lines, l => l.EventId.Id == 4003);

        // Open: straight to global, no regional attempt.
        Assert.True((await client.AcquireTokenForClientAsync(["api://resource-3/.default"], null, default)).Succeeded);
        Assert.Equal(3, Entra.TokenCalls(host: "westus2.login.microsoft.com"));
        Assert.Equal(4, Entra.TokenCalls(host: FakeEntraId.GlobalHost));

        // After the cool-down one request probes the region, which has recovered.
        blackHole = false;
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.True((await client.AcquireTokenForClientAsync(["api://resource-4/.default"], null, default)).Succeeded);
        Assert.Equal(4, Entra.TokenCalls(host: "westus2.login.microsoft.com"));
        Assert.Equal(4, Entra.TokenCalls(host: FakeEntraId.GlobalHost));
        Assert.Contains(app.Logs.Lines, l => l.EventId.Id == 4004);
    }

    [Fact]
    public async Task A_regional_503_is_served_by_the_global_endpoint()
    {
        Entra.Fault = request => request.Host == "westus2.login.microsoft.com"
            ? FakeResponse.EntraError(HttpStatusCode.ServiceUnavailable, "temporarily_unavailable", 50001, "AADSTS50001: The service is temporarily unavailable.")
            : null;
        _scenario.Settings[Setting] = "westus2";
        await using var app = _scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal(200, response.Status);
        Assert.Equal(1, Entra.TokenCalls(host: FakeEntraId.GlobalHost));
    }

    [Fact]
    public async Task A_regional_503_with_retry_after_is_a_regional_outage_not_a_throttle()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        Entra.Fault = request => request.Host == "westus2.login.microsoft.com"
            ? FakeResponse.EntraError(HttpStatusCode.ServiceUnavailable, "temporarily_unavailable", 50001, "AADSTS50001: The service is temporarily unavailable.")
                with { Headers = new Dictionary<string, string> { ["Retry-After"] = "600" } }
            : null;
        _scenario.Settings[Setting] = "westus2";
        await using var first = _scenario.StartProcess(time);

        var response = await first.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.True(response.Status == 200, response.ToString());
        Assert.Equal(1, Entra.TokenCalls(host: FakeEntraId.GlobalHost));

        // Nothing holds the resource back: another instance, another scope of it, is served too.
        await using var second = _scenario.StartProcess(time);
        var other = await second.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://inventory/read" } });
        Assert.True(other.Status == 200, other.ToString());
        Assert.Equal(2, Entra.TokenCalls(host: FakeEntraId.GlobalHost));
    }

    [Fact]
    public async Task A_regional_invalid_scope_is_returned_as_entra_said_it_without_failover()
    {
        Entra.Fault = _ => FakeResponse.EntraError(HttpStatusCode.BadRequest, "invalid_scope", 1002012,
            "AADSTS1002012: The provided value for scope api://nope/.default is not valid.");
        _scenario.Settings[Setting] = "westus2";
        await using var app = _scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://nope/.default" } });

        Assert.Equal(400, response.Status);
        Assert.Equal("invalid_scope", response.Text("error"));
        Assert.Equal(1002012, response.Json.GetProperty("error_codes")[0].GetInt64());
        Assert.Equal(0, Entra.TokenCalls(host: FakeEntraId.GlobalHost));
    }

    [Fact]
    public async Task A_429_with_retry_after_reaches_the_caller_and_holds_back_every_instance_until_it_passes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        Entra.Fault = _ => FakeResponse.EntraError(HttpStatusCode.TooManyRequests, "temporarily_unavailable", 50196, "AADSTS50196: Too many requests.")
            with { Headers = new Dictionary<string, string> { ["Retry-After"] = "30" } };
        await using var first = _scenario.StartProcess(time);

        var throttled = await first.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal(429, throttled.Status);
        Assert.Equal("30", throttled.Headers.RetryAfter.ToString());
        Assert.Equal(1, Entra.TokenCalls());

        // Another scope of the same resource: MSAL's own (process-wide) throttle memory does not know
        // it, so what holds the second instance back is the state the first left in the Table.
        await using var second = _scenario.StartProcess(time);
        time.Advance(TimeSpan.FromSeconds(10));
        var heldBack = await second.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://inventory/read" } });

        Assert.Equal(429, heldBack.Status);
        Assert.Equal("20", heldBack.Headers.RetryAfter.ToString());
        Assert.Equal(1, Entra.TokenCalls());

        Entra.Fault = null;
        time.Advance(TimeSpan.FromSeconds(21));
        Assert.Equal(200, (await second.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://inventory/read" } })).Status);
        Assert.Equal(2, Entra.TokenCalls());
    }

    [Fact]
    public async Task An_oidc_providers_token_in_the_table_is_served_to_a_new_instance_without_msal()
    {
        _scenario.Settings.Remove($"Clients__{EntraScenario.Client}__Authority");
        _scenario.Settings[$"Clients__{EntraScenario.Client}__OidcAuthority"] = $"https://{FakeEntraId.OidcHost}";
        string[] scopes = ["api://oidc-resource/read"];
        string stored;
        await using (var first = _scenario.StartProcess())
        {
            stored = (await first.Client(EntraScenario.Client).AcquireTokenForClientAsync(scopes, null, default)).Token!.Value;
        }

        await using var next = _scenario.StartProcess();
        var result = await next.Client(EntraScenario.Client).AcquireTokenForClientAsync(scopes, null, default);

        Assert.Equal((stored, TokenFunctions.Tokens.TokenSource.Cache), (result.Token!.Value, result.Token.Source));
        Assert.Equal(1, Entra.TokenCalls());
        Assert.Equal(0, next.Services.GetRequiredService<TokenFunctions.Tokens.MsalApplicationFactory>().ApplicationsBuilt);
    }

    [Fact]
    public async Task A_standards_strict_oidc_provider_accepts_the_client_assertion()
    {
        _scenario.Settings.Remove($"Clients__{EntraScenario.Client}__Authority");
        _scenario.Settings[$"Clients__{EntraScenario.Client}__OidcAuthority"] = $"https://{FakeEntraId.OidcHost}";
        await using var app = _scenario.StartProcess();

        var first = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://oidc-resource/read" } });
        var second = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://oidc-resource/write" } });

        Assert.Equal(200, first.Status);
        Assert.Equal(200, second.Status);
        var assertion = Entra.TokenRequests.First().Assertion!;
        Assert.Equal(System.Text.Json.JsonValueKind.Number, assertion.PayloadJson.GetProperty("exp").ValueKind);
        Assert.Equal($"https://{FakeEntraId.OidcHost}/oauth2/token", assertion.Claim("aud"));
        Assert.Equal(2, Entra.TokenCalls(host: FakeEntraId.OidcHost));
    }
}
