using Azure.Data.Tables;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Functions;

[Collection(UsesAzurite.Name)]
public sealed class ClientTokenFunctionTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await EntraScenario.StartAsync(azurite.Server);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    [Fact]
    public async Task First_request_is_issued_by_entra_and_the_repeat_is_served_from_cache()
    {
        await using var app = _scenario.StartProcess();

        var first = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });
        var second = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.True(first.Status == 200, first.ToString());
        Assert.Equal("Bearer", first.Text("token_type"));
        Assert.Equal("identity_provider", first.Text("token_source"));
        Assert.InRange(first.Json.GetProperty("expires_in").GetInt64(), 3500, 3600);
        Assert.True(first.Json.GetProperty("expires_on").GetInt64() > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Contains(first.Text("access_token"), _scenario.Entra.IssuedTokens);
        Assert.Equal("no-store", first.Headers.CacheControl.ToString());
        Assert.Equal("no-cache", first.Headers.Pragma.ToString());

        Assert.Equal(200, second.Status);
        Assert.Equal("cache", second.Text("token_source"));
        Assert.Equal(first.Text("access_token"), second.Text("access_token"));
        Assert.Equal(1, _scenario.Entra.TokenCalls(grantType: "client_credentials"));
    }

    [Fact]
    public async Task A_new_process_over_the_same_table_serves_the_cached_token_without_calling_entra()
    {
        string? issued;
        await using (var first = _scenario.StartProcess())
        {
            issued = (await first.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } })).Text("access_token");
        }

        await using var second = _scenario.StartProcess();
        var response = await second.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal(200, response.Status);
        Assert.Equal("cache", response.Text("token_source"));
        Assert.Equal(issued, response.Text("access_token"));
        Assert.Equal(1, _scenario.Entra.TokenCalls());
    }

    [Fact]
    public async Task The_client_assertion_is_signed_with_the_configured_certificate_for_the_token_endpoint()
    {
        await using var app = _scenario.StartProcess();

        await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        var request = Assert.Single(_scenario.Entra.TokenRequests);
        Assert.Equal(FakeEntraId.GlobalHost, request.Host);
        Assert.Equal(EntraScenario.Scope, request.Form["scope"]);
        var assertion = Assert.IsType<AssertionJwt>(request.Assertion);
        Assert.True(assertion.VerifySignature(_scenario.Certificate));
        Assert.Equal(_scenario.ClientId, assertion.Claim("iss"));
        Assert.EndsWith("/oauth2/v2.0/token", assertion.Claim("aud"));
        Assert.Null(assertion.Header("x5c"));
    }

    [Fact]
    public async Task A_certificate_entra_does_not_know_is_an_upstream_failure_with_entras_error()
    {
        using var unknown = TestCertificates.CreateClientCertificate("CN=not registered");
        var directory = Directory.CreateTempSubdirectory("tokenfunctions-tests-").FullName;
        _scenario.Settings[$"Clients__{EntraScenario.Client}__Certificate__Path"] = TestCertificates.WritePfx(unknown, directory, null);
        _scenario.Settings[$"Clients__{EntraScenario.Client}__Certificate__Password"] = null;
        await using var app = _scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal(502, response.Status);
        Assert.Equal("invalid_client", response.Text("error"));
        Assert.Contains("AADSTS700027", response.Text("error_description"));
        Assert.Equal(700027, response.Json.GetProperty("error_codes")[0].GetInt64());
        Assert.False(string.IsNullOrEmpty(response.Text("correlation_id")));
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Entra_unreachable_is_a_502_not_a_500()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        _scenario.Routing.Map(FakeEntraId.GlobalHost, closedPort);
        await using var app = _scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal(502, response.Status);
        Assert.Equal("temporarily_unavailable", response.Text("error"));
        Assert.Contains("could not be reached", response.Text("error_description"));
    }

    [Fact]
    public async Task A_client_secret_is_a_working_credential()
    {
        _scenario.Entra.RegisterClient(_scenario.ClientId, "s3cret-value-for-tests");
        _scenario.Settings.Remove($"Clients__{EntraScenario.Client}__Certificate__Path");
        _scenario.Settings.Remove($"Clients__{EntraScenario.Client}__Certificate__Password");
        _scenario.Settings[$"Clients__{EntraScenario.Client}__ClientSecret"] = "s3cret-value-for-tests";
        await using var app = _scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal(200, response.Status);
        Assert.DoesNotContain(app.Logs.Lines, line => line.Message.Contains("s3cret-value-for-tests", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("", "empty")]
    [InlineData("[]", "JSON object")]
    [InlineData("{}", "\"scopes\" is required")]
    [InlineData("{\"scopes\": null}", "\"scopes\" is required")]
    [InlineData("{\"scopes\": []}", "1 to 20")]
    [InlineData("{\"scopes\": \"api://x/.default\"}", "must be an array")]
    [InlineData("{\"scopes\": [42]}", "only strings")]
    [InlineData("{\"scopes\": [\"\"]}", "1 to 512 characters")]
    [InlineData("{\"scopes\": [\"api://x/.default api://y/.default\"]}", "without whitespace")]
    [InlineData("{\"scopes\": [\"api://x/.default\"], \"claims_challenge\": \"{oops\"}", "claims_challenge")]
    [InlineData("{\"scopes\": [\"api://x/.default\"], \"claims_challenge\": 7}", "claims_challenge")]
    public async Task A_malformed_body_is_a_400_invalid_request_that_says_what_is_wrong(string body, string explanation)
    {
        await using var app = _scenario.StartProcess();

        var response = await app.PostTokenAsync(EntraScenario.Client, body);

        Assert.Equal(400, response.Status);
        Assert.Equal("invalid_request", response.Text("error"));
        Assert.Contains(explanation, response.Text("error_description"));
        Assert.False(string.IsNullOrEmpty(response.Text("correlation_id")));
        Assert.Equal(0, _scenario.Entra.TokenCalls());
    }

    [Fact]
    public async Task Too_many_scopes_or_an_oversized_body_are_refused_before_entra_is_asked()
    {
        await using var app = _scenario.StartProcess();

        var tooMany = await app.PostTokenAsync(EntraScenario.Client, new { scopes = Enumerable.Range(0, 21).Select(i => $"api://x/s{i}").ToArray() });
        var oversized = await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope }, padding = new string('x', 70_000) });

        Assert.Equal(400, tooMany.Status);
        Assert.Equal(413, oversized.Status);
        Assert.Equal("invalid_request", oversized.Text("error"));
        Assert.Equal(0, _scenario.Entra.TokenCalls());
    }

    [Fact]
    public async Task An_unknown_client_is_a_404_with_the_contracts_error()
    {
        await using var app = _scenario.StartProcess();

        var response = await app.PostTokenAsync("no-such-client", new { scopes = new[] { EntraScenario.Scope } });

        Assert.Equal(404, response.Status);
        Assert.Equal("invalid_client", response.Text("error"));
        Assert.Contains("no-such-client", response.Text("error_description"));
    }

    [Fact]
    public async Task The_cache_entry_lives_in_the_configured_table()
    {
        await using var app = _scenario.StartProcess();

        await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { EntraScenario.Scope } });

        var table = new TableClient(azurite.Server.ConnectionString, _scenario.Settings["TokenCache__TableName"]);
        var entities = new List<TableEntity>();
        await foreach (var entity in table.QueryAsync<TableEntity>())
        {
            entities.Add(entity);
        }

        // Beside it there may be the broker's own records (instance discovery, when MSAL's process-wide
        // discovery cache was still empty): the token entry is the one of the app-token partition.
        var entry = Assert.Single(entities, e => e.PartitionKey != "broker");
        Assert.StartsWith("app-", entry.PartitionKey);
        Assert.DoesNotContain("/", entry.RowKey);
    }
}
