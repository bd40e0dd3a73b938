using Azure.Data.Tables;
using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Authorities;

/// <summary>
/// <c>TryAutoDetect</c>: what the instance metadata service says about the region is remembered and
/// shared; a detection that got no answer is not an answer, and is tried again later.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class RegionDiscoveryTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Regional = "westus2.login.microsoft.com";
    // Time moves only when a test says so: a slow answer on a busy machine is not IMDS timing out.
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private EntraScenario _scenario = null!;
    private FakeImds _imds = null!;
    private int _resources;

    public async Task InitializeAsync()
    {
        _scenario = await EntraScenario.StartAsync(azurite.Server);
        _scenario.Entra.RouteEntraHosts(_scenario.Routing, "westus2");
        _imds = await FakeImds.StartAsync();
        _imds.Route(_scenario.Routing);
        _scenario.Settings[$"Clients__{EntraScenario.Client}__AzureRegion"] = "TryAutoDetect";
    }

    public async Task DisposeAsync()
    {
        await _imds.DisposeAsync();
        await _scenario.DisposeAsync();
    }

    private FakeEntraId Entra => _scenario.Entra;

    [Fact]
    public async Task A_failed_detection_is_tried_again_after_a_minute_then_less_often_until_imds_answers()
    {
        _imds.FailureStatus = 500;
        await using var app = _scenario.StartProcess(_time);

        await AcquireAsync(app);
        _time.Advance(TimeSpan.FromSeconds(59));
        await AcquireAsync(app);
        Assert.Equal(1, _imds.Calls);

        _time.Advance(TimeSpan.FromSeconds(1));
        await AcquireAsync(app);
        Assert.Equal(2, _imds.Calls);

        // Failed twice: the next attempt waits two minutes.
        _time.Advance(TimeSpan.FromMinutes(1));
        await AcquireAsync(app);
        Assert.Equal(2, _imds.Calls);

        _imds.FailureStatus = null;
        _time.Advance(TimeSpan.FromMinutes(1));
        await AcquireAsync(app);
        Assert.Equal(3, _imds.Calls);
        Assert.Equal(4, Entra.TokenCalls(host: FakeEntraId.GlobalHost));
        Assert.Equal(1, Entra.TokenCalls(host: Regional));

        // Found: remembered, no further detection.
        _time.Advance(TimeSpan.FromHours(1));
        await AcquireAsync(app);
        Assert.Equal(3, _imds.Calls);
        Assert.Equal(2, Entra.TokenCalls(host: Regional));
    }

    [Fact]
    public async Task A_failed_detection_is_not_persisted_for_other_instances()
    {
        _imds.FailureStatus = 503;
        await using (var first = _scenario.StartProcess(_time))
        {
            await AcquireAsync(first);
        }

        _imds.FailureStatus = null;
        await using var second = _scenario.StartProcess(_time);
        await AcquireAsync(second);

        Assert.Equal(2, _imds.Calls);
        Assert.Equal(1, Entra.TokenCalls(host: FakeEntraId.GlobalHost));
        Assert.Equal(1, Entra.TokenCalls(host: Regional));
    }

    [Fact]
    public async Task Imds_saying_there_is_no_region_is_an_answer_shared_with_other_instances()
    {
        _imds.Region = null; // 404: this host has no compute metadata
        await using (var first = _scenario.StartProcess(_time))
        {
            await AcquireAsync(first);
        }

        _imds.Region = "westus2";
        await using var second = _scenario.StartProcess(_time);
        await AcquireAsync(second);

        Assert.Equal(1, _imds.Calls);
        Assert.Equal(2, Entra.TokenCalls(host: FakeEntraId.GlobalHost));
    }

    [Fact]
    public async Task A_region_record_of_the_wrong_type_is_ignored_and_replaced()
    {
        var table = _scenario.Table(azurite.Server);
        await table.CreateIfNotExistsAsync();
        await table.UpsertEntityAsync(new TableEntity("broker", "region") { ["Region"] = 42, ["ValidUntil"] = "next week" });

        await using (var first = _scenario.StartProcess(_time))
        {
            await AcquireAsync(first);
        }

        await using var second = _scenario.StartProcess(_time);
        await AcquireAsync(second);

        Assert.Equal(1, _imds.Calls);
        Assert.Equal(2, Entra.TokenCalls(host: Regional));
    }

    /// <summary>A token for a resource not asked for before, so that the request reaches Entra.</summary>
    private async Task AcquireAsync(AppProcess app)
    {
        var resource = $"api://resource-{Interlocked.Increment(ref _resources)}/.default";
        var result = await app.Client(EntraScenario.Client).AcquireTokenForClientAsync([resource], null, default);
        Assert.True(result.Succeeded, result.Error?.Description);
    }
}
