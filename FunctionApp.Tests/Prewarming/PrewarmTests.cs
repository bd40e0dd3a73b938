using System.Net;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Prewarming;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using TokenFunctions.Tokens;
using Xunit;

namespace TokenFunctions.Tests.Prewarming;

/// <summary>Pre-warming: callers never wait for Entra, and the Table stays clean.</summary>
[Collection(UsesAzurite.Name)]
public sealed class PrewarmTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Inventory = "api://inventory/.default";
    private const string Billing = "api://billing/.default";
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync()
    {
        _scenario = await EntraScenario.StartAsync(azurite.Server);
        _scenario.Entra.Time = _time;
        _scenario.Settings["Prewarm__Schedule"] = "0 */5 * * * *";
        _scenario.Settings["Prewarm__Targets__0__Client"] = EntraScenario.Client;
        _scenario.Settings["Prewarm__Targets__0__Scopes__0"] = Inventory;
        _scenario.Settings["Prewarm__Targets__1__Client"] = EntraScenario.Client;
        _scenario.Settings["Prewarm__Targets__1__Scopes__0"] = Billing;
    }

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    private FakeEntraId Entra => _scenario.Entra;

    private static Task<PrewarmSummary> RunAsync(AppProcess app) => app.Services.GetRequiredService<TokenPrewarmer>().RunAsync(default);

    [Fact]
    public async Task The_first_run_calls_entra_once_per_target_and_a_run_minutes_later_not_at_all()
    {
        await using var app = _scenario.StartProcess(_time);

        var first = await RunAsync(app);
        _time.Advance(TimeSpan.FromMinutes(5));
        var second = await RunAsync(app);

        Assert.Equal((2, 0, 0), (first.Refreshed, first.Fresh, first.Failed));
        Assert.Equal((0, 2, 0), (second.Refreshed, second.Fresh, second.Failed));
        Assert.Equal(2, Entra.TokenCalls());
        Assert.Single(app.Logs.Lines, l => l.EventId.Id == 5000 && l.Message.Contains("0 refreshed, 2 already fresh", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Only_due_targets_are_refreshed_and_another_instance_switches_to_the_new_token_without_calling_entra()
    {
        Entra.LifetimeFor = scope => scope == Billing ? TimeSpan.FromHours(2) : TimeSpan.FromHours(1);
        await using var timerInstance = _scenario.StartProcess(_time);
        await using var otherInstance = _scenario.StartProcess(_time);
        await RunAsync(timerInstance);
        var old = await otherInstance.Client(EntraScenario.Client).AcquireTokenForClientAsync([Inventory], null, default);
        Assert.Equal(TokenSource.Cache, old.Token!.Source);

        _time.Advance(TimeSpan.FromMinutes(46)); // inventory has 14 minutes left, billing 74
        var run = await RunAsync(timerInstance);

        Assert.Equal((1, 1, 0), (run.Refreshed, run.Fresh, run.Failed));
        Assert.Equal(3, Entra.TokenCalls());

        _time.Advance(TimeSpan.FromMinutes(10)); // the old token is now due for the other instance
        var switched = await otherInstance.Client(EntraScenario.Client).AcquireTokenForClientAsync([Inventory], null, default);
        _time.Advance(TimeSpan.FromMinutes(10)); // and now past its expiry
        var later = await otherInstance.Client(EntraScenario.Client).AcquireTokenForClientAsync([Inventory], null, default);

        Assert.NotEqual(old.Token.Value, switched.Token!.Value);
        Assert.Equal(TokenSource.Cache, switched.Token.Source);
        Assert.Equal(switched.Token.Value, later.Token!.Value);
        Assert.Equal(3, Entra.TokenCalls());
    }

    [Fact]
    public async Task Over_a_simulated_day_no_request_waits_for_entra_and_entra_sees_one_call_per_refresh_period_not_per_instance()
    {
        _scenario.Settings.Remove("Prewarm__Targets__1__Client");
        _scenario.Settings.Remove("Prewarm__Targets__1__Scopes__0");
        await using var a = _scenario.StartProcess(_time);
        await using var b = _scenario.StartProcess(_time);
        await RunAsync(a);
        var waited = 0;

        for (var minute = 1; minute <= 24 * 60; minute++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            if (minute % 5 == 0)
            {
                Assert.Equal(0, (await RunAsync(a)).Failed);
            }

            foreach (var instance in new[] { a, b })
            {
                var result = await instance.Client(EntraScenario.Client).AcquireTokenForClientAsync([Inventory], null, default);
                Assert.True(result.Succeeded);
                waited += result.Token!.Source == TokenSource.IdentityProvider ? 1 : 0;
            }
        }

        Assert.Equal(0, waited);
        // A 1-hour token refreshed when under 15 minutes are left, checked every 5 minutes: every 50 minutes.
        Assert.InRange(Entra.TokenCalls(), 24 * 60 / 50, 24 * 60 / 45 + 2);
    }

    [Fact]
    public async Task One_failing_target_does_not_stop_the_others()
    {
        Entra.Fault = request => request.Form["scope"] == Billing
            ? FakeResponse.EntraError(HttpStatusCode.BadRequest, "invalid_scope", 70011, "AADSTS70011: The provided value for scope is not valid.")
            : null;
        await using var app = _scenario.StartProcess(_time);

        var run = await RunAsync(app);

        Assert.Equal((1, 0, 1), (run.Refreshed, run.Fresh, run.Failed));
        Assert.Contains(app.Logs.Lines, l => l.EventId.Id == 5001 && l.Message.Contains("api://billing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_entra_down_the_run_ends_and_reports_every_target_failed()
    {
        using var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        _scenario.Routing.Map(FakeEntraId.GlobalHost, closedPort);
        await using var app = _scenario.StartProcess(_time);

        var run = await RunAsync(app);

        Assert.Equal((0, 0, 2), (run.Refreshed, run.Fresh, run.Failed));
    }

    [Fact]
    public async Task Expired_entries_are_swept_and_live_ones_left_alone()
    {
        Entra.LifetimeFor = scope => scope == Billing ? TimeSpan.FromHours(3) : TimeSpan.FromHours(1);
        _scenario.Settings.Remove("Prewarm__Targets__0__Client");
        _scenario.Settings.Remove("Prewarm__Targets__0__Scopes__0");
        _scenario.Settings.Remove("Prewarm__Targets__1__Client");
        _scenario.Settings.Remove("Prewarm__Targets__1__Scopes__0");
        await using var app = _scenario.StartProcess(_time);
        var client = app.Client(EntraScenario.Client);
        await client.AcquireTokenForClientAsync([Inventory], null, default);
        await client.AcquireTokenForClientAsync([Billing], null, default);
        var user = Entra.IssueUserAssertion("alice", _scenario.ClientId, TimeSpan.FromMinutes(30));
        Assert.True((await client.AcquireTokenOnBehalfOfAsync(user, ["api://downstream/read"], null, default)).Succeeded);
        Assert.Equal(3, (await Entities()).Count);

        _time.Advance(TimeSpan.FromHours(2));
        var run = await RunAsync(app);

        Assert.Equal(2, run.Swept);
        var left = Assert.Single(await Entities());
        Assert.Equal(TokenFunctions.Caching.CacheKeys.ResourceRow("api://billing"), left.RowKey);
    }

    private async Task<List<TableEntity>> Entities()
    {
        var entities = new List<TableEntity>();
        await foreach (var entity in _scenario.Table(azurite.Server).QueryAsync<TableEntity>())
        {
            entities.Add(entity);
        }

        return entities;
    }
}
