using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using TokenFunctions.Telemetry;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Telemetry;

/// <summary>Metrics and traces that say at a glance whether it is the cache, the Table, Key Vault, the region or Entra.</summary>
[Collection(UsesAzurite.Name)]
public sealed class TelemetryTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_cold_miss_then_a_warm_hit_count_by_layer_and_the_entra_call_by_endpoint()
    {
        await using var scenario = await EntraScenario.StartAsync(azurite.Server);
        await using var app = scenario.StartProcess();
        using var signals = new CapturedSignals(app.Services.GetRequiredService<TokenTelemetry>().Meter, ActivityTraceId.CreateRandom());

        await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });
        await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal(1, signals.Sum("tokenfunctions.cache.results", ("client", "orders"), ("layer", "miss")));
        Assert.Equal(1, signals.Sum("tokenfunctions.cache.results", ("client", "orders"), ("layer", "front")));
        Assert.Equal(2, signals.Sum("tokenfunctions.token.requests", ("flow", "client_credentials"), ("outcome", "success")));
        Assert.Equal(1, signals.Sum("tokenfunctions.entra.calls", ("endpoint", "global"), ("outcome", "success")));
        Assert.Single(signals.Measurements, m => m.Instrument == "tokenfunctions.entra.duration");
        Assert.Equal(1, signals.Sum("tokenfunctions.table.operations", ("operation", "read"), ("outcome", "success")));
        Assert.Equal(1, signals.Sum("tokenfunctions.table.operations", ("operation", "write"), ("outcome", "success")));
    }

    [Fact]
    public async Task A_cold_start_from_the_table_counts_as_a_table_hit()
    {
        await using var scenario = await EntraScenario.StartAsync(azurite.Server);
        await using (var warm = scenario.StartProcess())
        {
            await warm.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });
        }

        await using var app = scenario.StartProcess();
        using var signals = new CapturedSignals(app.Services.GetRequiredService<TokenTelemetry>().Meter, ActivityTraceId.CreateRandom());
        await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal(1, signals.Sum("tokenfunctions.cache.results", ("layer", "table")));
        Assert.Equal(0, signals.Sum("tokenfunctions.entra.calls"));
    }

    [Fact]
    public async Task A_table_outage_a_key_vault_failure_and_a_regional_failover_each_show_in_their_own_counter()
    {
        await using var privateAzurite = await AzuriteServer.StartAsync();
        await using var scenario = await KeyVaultScenario.StartAsync(privateAzurite);
        scenario.Entra.Settings[$"Clients__{EntraScenario.Client}__AzureRegion"] = "westus2";
        scenario.Entra.Settings["Clients__billing__ClientId"] = Guid.NewGuid().ToString();
        scenario.Entra.Settings["Clients__billing__Authority"] = scenario.Entra.Settings[$"Clients__{EntraScenario.Client}__Authority"];
        scenario.Entra.Settings["Clients__billing__Certificate__KeyVaultUri"] = scenario.Vault.VaultUri.ToString();
        scenario.Entra.Settings["Clients__billing__Certificate__Name"] = "not-there";
        var entra = scenario.Entra.Entra;
        entra.RouteEntraHosts(scenario.Entra.Routing, "westus2");
        entra.Fault = request => request.Host == "westus2.login.microsoft.com"
            ? FakeResponse.EntraError(HttpStatusCode.InternalServerError, "server_error", 50000, "AADSTS50000: There was an error issuing a token.")
            : null;
        await using var app = scenario.StartProcess();
        using var signals = new CapturedSignals(app.Services.GetRequiredService<TokenTelemetry>().Meter, ActivityTraceId.CreateRandom());

        await privateAzurite.StopAsync();
        var served = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });
        var failed = await app.PostTokenAsync("billing", new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal(200, served.Status);
        Assert.Equal(503, failed.Status);
        Assert.True(signals.Sum("tokenfunctions.table.operations", ("outcome", "failure")) >= 1);
        Assert.Equal(1, signals.Sum("tokenfunctions.keyvault.operations", ("client", "billing"), ("operation", "load"), ("outcome", "not_found")));
        Assert.Equal(1, signals.Sum("tokenfunctions.keyvault.operations", ("client", "orders"), ("operation", "load"), ("outcome", "success")));
        Assert.True(signals.Sum("tokenfunctions.entra.calls", ("client", "orders"), ("endpoint", "regional"), ("region", "westus2")) >= 1);
        Assert.Equal(0, signals.Sum("tokenfunctions.entra.calls", ("endpoint", "regional"), ("outcome", "success")));
        Assert.Equal(1, signals.Sum("tokenfunctions.entra.calls", ("client", "orders"), ("endpoint", "global"), ("outcome", "success")));
        Assert.Equal(1, signals.Sum("tokenfunctions.token.requests", ("client", "billing"), ("outcome", "temporarily_unavailable")));
    }

    [Fact]
    public async Task The_request_activity_continues_the_callers_trace_and_holds_the_entra_call_with_its_correlation_id()
    {
        await using var scenario = await EntraScenario.StartAsync(azurite.Server);
        await using var app = scenario.StartProcess();
        using var incoming = new Activity("Functions invocation").Start(); // as the worker's HTTP invocation would be
        using var signals = new CapturedSignals(app.Services.GetRequiredService<TokenTelemetry>().Meter, incoming.TraceId);

        await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        var request = Assert.Single(signals.Activities, a => a.OperationName == "TokenFunctions.AcquireToken");
        Assert.Equal(incoming.SpanId, request.ParentSpanId);
        var entraCall = Assert.Single(signals.Activities, a => a.OperationName == "TokenFunctions.Entra");
        Assert.Equal(request.SpanId, entraCall.ParentSpanId);
        Assert.False(string.IsNullOrEmpty(entraCall.GetTagItem("tokenfunctions.correlation_id") as string));
        Assert.Equal("global", entraCall.GetTagItem("tokenfunctions.region"));
        Assert.Contains(signals.Activities, a => a.OperationName == "TokenFunctions.Table" && a.ParentSpanId == request.SpanId);
    }
}
