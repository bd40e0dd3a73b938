using Azure.Data.Tables;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Caching;

/// <summary>A developer's local instance runs without a cache key: each process seals with a random one.</summary>
[Collection(UsesAzurite.Name)]
public sealed class DevelopmentKeyTests(AzuriteFixture azurite)
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public async Task In_development_a_missing_or_blank_key_means_a_random_key_per_process(string? key)
    {
        await using var scenario = await EntraScenario.StartAsync(azurite.Server);
        scenario.Settings["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development";
        scenario.Settings["TokenCache__EncryptionKey"] = key;
        await using var app = scenario.StartProcess();

        var first = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal(200, first.Status);
        var stored = new List<TableEntity>();
        await foreach (var entity in scenario.Table(azurite.Server).QueryAsync<TableEntity>(e => e.PartitionKey.CompareTo("app-") > 0 && e.PartitionKey.CompareTo("app.") < 0))
        {
            stored.Add(entity);
        }

        Assert.NotEmpty(Assert.Single(stored).GetBinary("Payload"));

        // Another process has another key: the entry does not open there, and is a miss, not an error.
        await using var next = scenario.StartProcess();
        var second = await next.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });
        Assert.Equal(200, second.Status);
        Assert.Equal("identity_provider", second.Text("token_source"));
        Assert.Equal(2, scenario.Entra.TokenCalls());
    }
}
