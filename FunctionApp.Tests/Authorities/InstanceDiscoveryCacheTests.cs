using Microsoft.Extensions.DependencyInjection;
using TokenFunctions.Authorities;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Authorities;

/// <summary>The persisted HTTP cache: instance discovery is asked of Entra once, then read from the Table.</summary>
[Collection(UsesAzurite.Name)]
public sealed class InstanceDiscoveryCacheTests(AzuriteFixture azurite)
{
    private const string Discovery = "https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/contoso/oauth2/v2.0/authorize";

    [Fact]
    public async Task A_new_instance_gets_instance_discovery_from_the_table_not_from_entra()
    {
        await using var scenario = await EntraScenario.StartAsync(azurite.Server);
        string first;
        await using (var a = scenario.StartProcess())
        {
            first = await a.Services.GetRequiredService<IHttpClientFactory>().CreateClient(EntraHttpOptions.ClientName).GetStringAsync(new Uri(Discovery));
        }

        await using var b = scenario.StartProcess();
        var second = await b.Services.GetRequiredService<IHttpClientFactory>().CreateClient(EntraHttpOptions.ClientName).GetStringAsync(new Uri(Discovery));

        Assert.Equal(first, second);
        Assert.Contains("preferred_network", second, StringComparison.Ordinal);
        Assert.Equal(1, scenario.Entra.Calls.Where(c => c.Key.Contains("/common/discovery/instance", StringComparison.Ordinal)).Sum(c => c.Value));
    }

    [Fact]
    public async Task A_discovery_record_the_broker_did_not_seal_is_ignored()
    {
        await using var scenario = await EntraScenario.StartAsync(azurite.Server);
        await using (var a = scenario.StartProcess())
        {
            await a.Services.GetRequiredService<IHttpClientFactory>().CreateClient(EntraHttpOptions.ClientName).GetStringAsync(new Uri(Discovery));
        }

        // Someone with write access to the Table replaces the record with metadata naming their host.
        var table = scenario.Table(azurite.Server);
        await foreach (var record in table.QueryAsync<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == "broker"))
        {
            record["Payload"] = System.Text.Encoding.UTF8.GetBytes("""{"Body":"{\"metadata\":[{\"preferred_network\":\"evil.example\"}]}","ValidUntil":"2999-01-01T00:00:00Z"}""");
            await table.UpdateEntityAsync(record, Azure.ETag.All, Azure.Data.Tables.TableUpdateMode.Replace);
        }

        await using var b = scenario.StartProcess();
        var answer = await b.Services.GetRequiredService<IHttpClientFactory>().CreateClient(EntraHttpOptions.ClientName).GetStringAsync(new Uri(Discovery));

        Assert.DoesNotContain("evil.example", answer, StringComparison.Ordinal);
        Assert.Equal(2, scenario.Entra.Calls.Where(c => c.Key.Contains("/common/discovery/instance", StringComparison.Ordinal)).Sum(c => c.Value));
    }

    [Fact]
    public async Task Other_requests_pass_through_untouched()
    {
        await using var scenario = await EntraScenario.StartAsync(azurite.Server);
        await using var app = scenario.StartProcess();

        await using var other = scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });
        var again = await other.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { "api://second/.default" } });

        Assert.Equal(200, response.Status);
        Assert.Equal(200, again.Status);
        Assert.Equal(2, scenario.Entra.TokenCalls());
    }
}
