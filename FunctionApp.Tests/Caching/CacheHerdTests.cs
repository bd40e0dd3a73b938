using Azure.Data.Tables;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Caching;

/// <summary>Callers arriving together for what no instance has yet: one Entra call per key, however many ask.</summary>
[Collection(UsesAzurite.Name)]
public sealed class CacheHerdTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly string[] Scopes = [EntraScenario.Scope];
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await EntraScenario.StartAsync(azurite.Server);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    [Fact]
    public async Task A_hundred_concurrent_cold_requests_for_one_key_make_one_entra_call()
    {
        var gate = new TaskCompletionSource();
        _scenario.Entra.BeforeAnswer = (_, _) => gate.Task;
        await using var app = _scenario.StartProcess();
        var client = app.Client(EntraScenario.Client);

        var requests = Enumerable.Range(0, 100).Select(_ => client.AcquireTokenForClientAsync(Scopes, null, default).AsTask()).ToList();
        gate.SetResult();
        var results = await Task.WhenAll(requests);

        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Single(results.Select(r => r.Token!.Value).Distinct());
        Assert.Equal(1, _scenario.Entra.TokenCalls());
    }

    [Fact]
    public async Task Concurrent_cold_requests_for_ten_resources_make_ten_calls_and_ten_entries()
    {
        var gate = new TaskCompletionSource();
        _scenario.Entra.BeforeAnswer = (_, _) => gate.Task;
        await using var app = _scenario.StartProcess();
        var client = app.Client(EntraScenario.Client);

        var requests = Enumerable.Range(0, 10)
            .SelectMany(resource => Enumerable.Range(0, 10).Select(_ => client.AcquireTokenForClientAsync([$"api://resource-{resource}/.default"], null, default).AsTask()))
            .ToList();
        gate.SetResult();
        var results = await Task.WhenAll(requests);

        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Equal(10, _scenario.Entra.TokenCalls());
        // The token rows: the persisted instance discovery (the broker partition) is written beside
        // them in the background, so whether it is there yet depends on timing.
        Assert.Equal(10, (await Entities()).Count(e => e.PartitionKey != "broker"));
    }

    [Fact]
    public async Task Identical_claims_challenges_arriving_together_share_one_entra_call()
    {
        const string challenge = """{"access_token":{"xms_cc":{"values":["cp1"]}}}""";
        var gate = new TaskCompletionSource();
        _scenario.Entra.BeforeAnswer = (_, _) => gate.Task;
        await using var app = _scenario.StartProcess();
        var client = app.Client(EntraScenario.Client);

        var requests = Enumerable.Range(0, 10).Select(_ => client.AcquireTokenForClientAsync(Scopes, challenge, default).AsTask()).ToList();
        gate.SetResult();
        var results = await Task.WhenAll(requests);

        Assert.All(results, r => Assert.Equal(TokenFunctions.Tokens.TokenSource.IdentityProvider, r.Token!.Source));
        Assert.Equal(1, _scenario.Entra.TokenCalls());
        Assert.Equal(TokenFunctions.Tokens.TokenSource.IdentityProvider, (await client.AcquireTokenForClientAsync(Scopes, challenge, default)).Token!.Source);
        Assert.Equal(2, _scenario.Entra.TokenCalls());
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
