using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using TokenFunctions.Caching;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Caching;

/// <summary>
/// A read of several rows of one partition is one query whose filter the broker writes itself (not the
/// SDK's formatter): each key is an OData string literal, whatever it holds.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class BrokerTableQueryTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await EntraScenario.StartAsync(azurite.Server);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    [Fact]
    public async Task Rows_whose_keys_hold_quotes_are_found_and_no_others()
    {
        await using var app = _scenario.StartProcess();
        var table = app.Services.GetRequiredService<BrokerTable>();
        foreach (var (partition, row) in new[] { ("o'brien", "it's"), ("o'brien", "plain"), ("o'brien", "other"), ("obrien", "plain") })
        {
            await table.UpsertAsync("write", new TableEntity(partition, row), default);
        }

        var found = await table.ReadRowsAsync("read", "o'brien", ["it's", "plain", "missing'"], default);

        Assert.Equal(["it's", "plain"], found.Select(e => e.RowKey).Order(StringComparer.Ordinal));
        Assert.All(found, e => Assert.Equal("o'brien", e.PartitionKey));
    }
}
