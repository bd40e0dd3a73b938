using System.Text.Json;
using System.Text.Json.Nodes;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.LocalRun;

/// <summary>
/// A first run with local.settings.sample.json copied as it is: the app starts, health answers, and a
/// token request says which settings to fill in rather than failing somewhere further down.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class SampleSettingsTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task The_sample_settings_start_the_app_and_health_answers()
    {
        await using var app = AppProcess.Start(SampleOnThisAzurite(), new LoopbackRouting());

        var health = await app.GetHealthAsync();

        Assert.Equal(200, health.Status);
        Assert.Equal("healthy", health.Text("status"));
    }

    [Fact]
    public async Task A_token_request_with_the_sample_settings_names_the_settings_to_fill_in()
    {
        await using var app = AppProcess.Start(SampleOnThisAzurite(), new LoopbackRouting());

        var response = await app.PostTokenAsync("orders", new { scopes = new[] { "https://graph.microsoft.com/.default" } });

        Assert.Equal(404, response.Status);
        Assert.Equal("invalid_client", response.Text("error"));
        var description = response.Text("error_description")!;
        Assert.Contains("Clients__orders__ClientId", description, StringComparison.Ordinal);
        Assert.Contains("Clients__orders__Authority", description, StringComparison.Ordinal);
        Assert.Contains("Clients__orders__Certificate__Path", description, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(response.Text("correlation_id")));
        Assert.All(app.Requests.Entries, e => Assert.Equal("127.0.0.1", e.Host)); // nothing asked of Entra or Key Vault
    }

    [Fact]
    public async Task A_removal_with_the_sample_settings_names_the_settings_to_fill_in()
    {
        await using var app = AppProcess.Start(SampleOnThisAzurite(), new LoopbackRouting());

        var response = await app.DeleteTokensAsync("orders");

        Assert.Equal(404, response.Status);
        Assert.Contains("Clients__orders__ClientId", response.Text("error_description")!, StringComparison.Ordinal);
    }

    /// <summary>The sample's values, with the Table on the tests' own Azurite instead of Azurite's default port.</summary>
    private Dictionary<string, string?> SampleOnThisAzurite()
    {
        var values = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.FullPath, "local.settings.sample.json")))!["Values"]!;
        var settings = JsonSerializer.Deserialize<Dictionary<string, string?>>(values.ToJsonString())!;
        settings["AzureWebJobsStorage"] = azurite.Server.ConnectionString;
        settings["TokenCache__TableName"] = "sample" + Guid.NewGuid().ToString("N")[..12];
        return settings;
    }
}
