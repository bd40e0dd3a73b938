using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Health;

/// <summary>A health endpoint an on-call engineer can trust, and that tells an attacker nothing.</summary>
[Collection(UsesAzurite.Name)]
public sealed class HealthTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task All_green_is_200_and_names_the_clients_but_nothing_secret()
    {
        await using var scenario = await EntraScenario.StartAsync(azurite.Server);
        scenario.Settings[$"Clients__{EntraScenario.Client}__AzureRegion"] = "westus2";
        await using var app = scenario.StartProcess();
        await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        var response = await app.GetHealthAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("healthy", response.Text("status"));
        Assert.Equal("healthy", response.Json.GetProperty("checks").GetProperty("table").GetProperty("status").GetString());
        var client = response.Json.GetProperty("clients").GetProperty(EntraScenario.Client);
        Assert.Equal("loaded", client.GetProperty("credential").GetString());
        Assert.Equal("westus2", client.GetProperty("region").GetString());
        Assert.Equal("closed", client.GetProperty("regional_circuit").GetString());
        AssertNothingSecret(response, scenario);
    }

    [Fact]
    public async Task A_table_outage_with_no_client_able_to_serve_is_503_naming_the_table()
    {
        await using var privateAzurite = await AzuriteServer.StartAsync();
        await using var scenario = await KeyVaultScenario.StartAsync(privateAzurite, uploadCertificate: false);
        await using var app = scenario.StartProcess();
        await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } }); // the vault holds no certificate
        await privateAzurite.StopAsync();

        var response = await app.GetHealthAsync();

        Assert.Equal(503, response.Status);
        Assert.Equal("unhealthy", response.Text("status"));
        Assert.Equal("failing", response.Json.GetProperty("checks").GetProperty("table").GetProperty("status").GetString());
        Assert.Equal("not_found", response.Json.GetProperty("clients").GetProperty(EntraScenario.Client).GetProperty("failure").GetString());
        AssertNothingSecret(response, scenario.Entra);
    }

    [Fact]
    public async Task A_failing_credential_shows_for_that_client_only_and_the_broker_still_serves()
    {
        await using var scenario = await KeyVaultScenario.StartAsync(azurite.Server);
        scenario.Entra.Settings["Clients__billing__ClientId"] = Guid.NewGuid().ToString();
        scenario.Entra.Settings["Clients__billing__Authority"] = scenario.Entra.Settings[$"Clients__{EntraScenario.Client}__Authority"];
        scenario.Entra.Settings["Clients__billing__Certificate__KeyVaultUri"] = scenario.Vault.VaultUri.ToString();
        scenario.Entra.Settings["Clients__billing__Certificate__Name"] = "billing-missing";
        await using var app = scenario.StartProcess();
        await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });
        await app.PostTokenAsync("billing", new { scopes = new[] { EntraScenario.Scope } });

        var response = await app.GetHealthAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("degraded", response.Text("status"));
        Assert.Equal("loaded", response.Json.GetProperty("clients").GetProperty(EntraScenario.Client).GetProperty("credential").GetString());
        Assert.Equal("failing", response.Json.GetProperty("clients").GetProperty("billing").GetProperty("credential").GetString());
        Assert.DoesNotContain("Exception", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("billing-missing", response.Body, StringComparison.Ordinal);
        AssertNothingSecret(response, scenario.Entra);
    }

    private static void AssertNothingSecret(FunctionResponse response, EntraScenario scenario)
    {
        Assert.DoesNotContain(scenario.ClientId, response.Body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(scenario.Tenant, response.Body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("eyJ", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(scenario.Settings["TokenCache__EncryptionKey"]!, response.Body, StringComparison.Ordinal);
        Assert.All(scenario.Entra.IssuedTokens, token => Assert.DoesNotContain(token, response.Body, StringComparison.Ordinal));
    }
}
