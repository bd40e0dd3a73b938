using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Caching;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Authorities;

/// <summary>
/// The per-attempt timeouts time the exchange with Entra, and nothing else: a slow Table, a cold Key
/// Vault or the write after Entra answered is not a regional outage, and a token Entra issued is never
/// thrown away because its write was slow.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class AttemptTimeoutTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly string[] Scopes = [EntraScenario.Scope];
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync()
    {
        _scenario = await EntraScenario.StartAsync(azurite.Server);
        _scenario.Entra.RouteEntraHosts(_scenario.Routing, "westus2");
        _scenario.Settings[$"Clients__{EntraScenario.Client}__AzureRegion"] = "westus2";
        _scenario.Settings["TokenCache__OperationTimeout"] = "00:00:10";
    }

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    [Fact]
    public async Task A_slow_table_write_after_entra_issued_the_token_is_not_a_regional_outage()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var hold = HoldFirstRequest.EntityInsert();
        await using var app = _scenario.StartProcess(time, services =>
            services.AddHttpClient(TokenCacheServiceCollectionExtensions.TableHttpClientName).AddHttpMessageHandler(() => hold));

        var request = app.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, CancellationToken.None).AsTask();
        await hold.Arrived;
        time.Advance(TimeSpan.FromSeconds(3)); // past the regional attempt timeout (2 s), inside the budget
        hold.Release();
        var result = await request;

        Assert.True(result.Succeeded, result.Error?.Description);
        Assert.Equal(1, _scenario.Entra.TokenCalls());
        Assert.Equal(1, _scenario.Entra.TokenCalls(host: "westus2.login.microsoft.com"));
        Assert.Equal("closed", app.Client(EntraScenario.Client).RegionalCircuitState);
        Assert.DoesNotContain(app.Logs.Lines, l => l.EventId.Id == 4005);
    }

    [Fact]
    public async Task A_slow_table_read_before_the_call_is_not_timed_as_the_regions()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var hold = HoldFirstRequest.AppTokenRead();
        await using var app = _scenario.StartProcess(time, services =>
            services.AddHttpClient(TokenCacheServiceCollectionExtensions.TableHttpClientName).AddHttpMessageHandler(() => hold));

        var request = app.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, CancellationToken.None).AsTask();
        await hold.Arrived;
        time.Advance(TimeSpan.FromSeconds(3));
        hold.Release();
        var result = await request;

        Assert.True(result.Succeeded, result.Error?.Description);
        Assert.Equal(1, _scenario.Entra.TokenCalls(host: "westus2.login.microsoft.com"));
        Assert.Equal(0, _scenario.Entra.TokenCalls(host: FakeEntraId.GlobalHost));
    }
}
