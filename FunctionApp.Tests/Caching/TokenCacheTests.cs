using System.Text;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Caching;

/// <summary>What the shared token cache promises its callers.</summary>
[Collection(UsesAzurite.Name)]
public sealed class TokenCacheTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly string[] Scopes = [EntraScenario.Scope];
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await EntraScenario.StartAsync(azurite.Server);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    [Fact]
    public async Task Warm_hits_make_no_table_request_and_no_entra_call()
    {
        await using var app = _scenario.StartProcess();
        var client = app.Client(EntraScenario.Client);
        await client.AcquireTokenForClientAsync(Scopes, null, default);
        app.Requests.Clear();

        for (var i = 0; i < 50; i++)
        {
            var hit = await client.AcquireTokenForClientAsync(Scopes, null, default);
            Assert.Equal(TokenFunctions.Tokens.TokenSource.Cache, hit.Token!.Source);
        }

        Assert.Empty(app.Requests.Entries);
        Assert.Equal(1, _scenario.Entra.TokenCalls());
    }

    [Fact]
    public async Task A_cold_start_costs_one_table_read_and_no_entra_call()
    {
        await using (var warm = _scenario.StartProcess())
        {
            await warm.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);
        }

        await using var cold = _scenario.StartProcess();
        var result = await cold.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);

        Assert.Equal(TokenFunctions.Tokens.TokenSource.Cache, result.Token!.Source);
        var only = Assert.Single(cold.Requests.Entries);
        Assert.Equal(("GET", "127.0.0.1"), (only.Method, only.Host));
        Assert.Equal(1, _scenario.Entra.TokenCalls());
    }

    [Fact]
    public async Task The_stored_entry_holds_no_token_text()
    {
        await using var app = _scenario.StartProcess();
        var token = (await app.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default)).Token!.Value;

        // Every entity: the token's own, and the broker's records beside it (instance discovery, when
        // MSAL's process-wide discovery cache was still empty).
        var entities = await Entities();
        Assert.Single(entities, e => e.PartitionKey != "broker");
        var stored = string.Join('\n', entities.SelectMany(e => e).Select(p => p.Value is byte[] bytes ? Encoding.Latin1.GetString(bytes) + Convert.ToBase64String(bytes) : p.Value?.ToString()));

        Assert.DoesNotContain(token, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[2], stored, StringComparison.Ordinal);
        // Each part of the JWT on its own, not just its "eyJ" prefix: three characters turn up by chance
        // in the base64 of random ciphertext about once in a hundred runs.
        Assert.DoesNotContain(token.Split('.')[0], stored, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[1], stored, StringComparison.Ordinal);
        Assert.DoesNotContain("access_token", stored, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(_scenario.ClientId, stored, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_entry_copied_to_another_row_does_not_open_and_is_overwritten()
    {
        const string other = "api://other/.default";
        await using (var first = _scenario.StartProcess())
        {
            await first.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);
            await first.Client(EntraScenario.Client).AcquireTokenForClientAsync([other], null, default);
        }

        // Put the inventory entry's sealed bytes into the other resource's row.
        var table = _scenario.Table(azurite.Server);
        var entities = await Entities();
        var inventory = entities.Single(e => e.RowKey == TokenFunctions.Caching.CacheKeys.ResourceRow("api://inventory"));
        var target = entities.Single(e => e.RowKey != inventory.RowKey);
        target["Payload"] = inventory["Payload"];
        await table.UpdateEntityAsync(target, Azure.ETag.All, TableUpdateMode.Replace);

        await using var second = _scenario.StartProcess();
        var moved = await second.Client(EntraScenario.Client).AcquireTokenForClientAsync([other], null, default);
        var untouched = await second.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);

        Assert.Equal(TokenFunctions.Tokens.TokenSource.IdentityProvider, moved.Token!.Source);
        Assert.Equal(TokenFunctions.Tokens.TokenSource.Cache, untouched.Token!.Source);
        Assert.Equal(3, _scenario.Entra.TokenCalls());
        Assert.Contains(second.Logs.Lines, l => l.EventId.Id == 2005);
        var rewritten = (await Entities()).Single(e => e.RowKey == target.RowKey);
        Assert.NotEqual(inventory.GetBinary("Payload"), rewritten.GetBinary("Payload"));

        // The overwritten entry opens again for the next instance.
        await using var third = _scenario.StartProcess();
        var reread = await third.Client(EntraScenario.Client).AcquireTokenForClientAsync([other], null, default);
        Assert.Equal(moved.Token.Value, reread.Token!.Value);
        Assert.Equal(3, _scenario.Entra.TokenCalls());
    }

    [Fact]
    public async Task A_corrupted_entry_is_a_miss_and_is_overwritten()
    {
        await using (var first = _scenario.StartProcess())
        {
            await first.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);
        }

        var entity = Assert.Single(await Entities());
        var payload = entity.GetBinary("Payload");
        payload[payload.Length / 2] ^= 0xFF;
        entity["Payload"] = payload;
        await _scenario.Table(azurite.Server).UpdateEntityAsync(entity, Azure.ETag.All, TableUpdateMode.Replace);

        await using var second = _scenario.StartProcess();
        var result = await second.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);

        Assert.True(result.Succeeded);
        Assert.Equal(TokenFunctions.Tokens.TokenSource.IdentityProvider, result.Token!.Source);
        await using var third = _scenario.StartProcess();
        Assert.Equal(result.Token.Value, (await third.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default)).Token!.Value);
        Assert.Equal(2, _scenario.Entra.TokenCalls());
    }

    [Fact]
    public async Task Two_instances_refreshing_one_entry_lose_nothing_and_the_last_writer_merges_on_412()
    {
        var heldWrite = HoldFirstRequest.EntityUpdate();
        await using var a = _scenario.StartProcess();
        await using var b = _scenario.StartProcess(configure: services =>
            services.AddHttpClient(TokenFunctions.Caching.TokenCacheServiceCollectionExtensions.TableHttpClientName)
                .AddHttpMessageHandler(() => heldWrite));
        await a.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);
        await b.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);

        // Both refresh (a claims challenge forces Entra). B has read the entry and is about to write
        // it when A's refresh lands, so B's write carries an ETag that is no longer current.
        var pendingB = b.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, """{"access_token":{"nbf":{"essential":true,"value":"2"}}}""", default).AsTask();
        await heldWrite.Arrived;
        var fromA = await a.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, """{"access_token":{"nbf":{"essential":true,"value":"1"}}}""", default);
        heldWrite.Release();
        var fromB = await pendingB;

        Assert.Contains(b.Logs.Lines, l => l.EventId.Id == 2004);
        Assert.Equal(2, b.Requests.TableRequests("PUT"));
        await using var c = _scenario.StartProcess();
        var served = await c.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);
        Assert.Equal(fromB.Token!.Value, served.Token!.Value);
        Assert.NotEqual(fromA.Token!.Value, fromB.Token.Value);
        Assert.Equal(3, _scenario.Entra.TokenCalls());
    }

    [Fact]
    public async Task A_write_the_sdk_retried_after_it_landed_is_recognised_as_its_own()
    {
        await using var app = _scenario.StartProcess(configure: services =>
            services.AddHttpClient(TokenFunctions.Caching.TokenCacheServiceCollectionExtensions.TableHttpClientName)
                .AddHttpMessageHandler(() => new LostFirstWriteResponse()));

        var result = await app.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);

        Assert.True(result.Succeeded);
        Assert.Contains(app.Logs.Lines, l => l.EventId.Id == 2006);
        Assert.DoesNotContain(app.Logs.Lines, l => l.EventId.Id == 2004);
        await using var cold = _scenario.StartProcess();
        Assert.Equal(result.Token!.Value, (await cold.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default)).Token!.Value);
    }

    [Fact]
    public async Task A_due_token_is_re_read_from_the_table_before_entra_is_called()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var a = _scenario.StartProcess(time);
        await using var b = _scenario.StartProcess(time);
        var first = await a.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);
        await b.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);

        time.Advance(TimeSpan.FromMinutes(56)); // within 5 minutes of the 1-hour token's expiry
        _scenario.Entra.TokenLifetime = TimeSpan.FromHours(2);
        var refreshedByA = await a.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);
        var servedToB = await b.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);

        Assert.Equal(TokenFunctions.Tokens.TokenSource.IdentityProvider, refreshedByA.Token!.Source);
        Assert.NotEqual(first.Token!.Value, refreshedByA.Token.Value);
        Assert.Equal(refreshedByA.Token.Value, servedToB.Token!.Value);
        Assert.Equal(TokenFunctions.Tokens.TokenSource.Cache, servedToB.Token.Source);
        Assert.Equal(2, _scenario.Entra.TokenCalls());
    }

    [Fact]
    public async Task A_token_past_its_refresh_point_is_still_served_when_entra_fails_to_refresh_it()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _scenario.Entra.Time = time;
        _scenario.Entra.RefreshIn = TimeSpan.FromMinutes(10);
        await using var app = _scenario.StartProcess(time);
        var client = app.Client(EntraScenario.Client);
        var first = await client.AcquireTokenForClientAsync(Scopes, null, default);

        time.Advance(TimeSpan.FromMinutes(15)); // past refresh_in, 45 minutes before expiry
        _scenario.Entra.Fault = _ => FakeResponse.EntraError(System.Net.HttpStatusCode.BadGateway, "server_error", 50000, "AADSTS50000: unavailable.");
        var during = await client.AcquireTokenForClientAsync(Scopes, null, default);

        Assert.True(during.Succeeded, during.Error?.Description);
        Assert.Equal(first.Token!.Value, during.Token!.Value);
        Assert.Contains(app.Logs.Lines, l => l.EventId.Id == 1007);
    }

    [Fact]
    public async Task A_claims_challenge_bypasses_the_cache_and_its_token_replaces_the_cached_one()
    {
        await using var app = _scenario.StartProcess();
        var client = app.Client(EntraScenario.Client);
        var cached = await client.AcquireTokenForClientAsync(Scopes, null, default);

        var challenged = await client.AcquireTokenForClientAsync(Scopes, """{"access_token":{"xms_cc":{"values":["cp1"]}}}""", default);
        var after = await client.AcquireTokenForClientAsync(Scopes, null, default);

        Assert.Equal(TokenFunctions.Tokens.TokenSource.IdentityProvider, challenged.Token!.Source);
        Assert.NotEqual(cached.Token!.Value, challenged.Token.Value);
        Assert.Equal(challenged.Token.Value, after.Token!.Value);
        Assert.Contains("xms_cc", _scenario.Entra.TokenRequests.Last().Form["claims"], StringComparison.Ordinal);
        Assert.Equal(2, _scenario.Entra.TokenCalls());
    }

    [Fact]
    public async Task Delete_removes_the_clients_tokens_from_memory_and_table_and_leaves_other_clients_alone()
    {
        _scenario.Settings["Clients__billing__ClientId"] = _scenario.ClientId;
        _scenario.Settings["Clients__billing__Authority"] = _scenario.Settings[$"Clients__{EntraScenario.Client}__Authority"];
        _scenario.Settings["Clients__billing__Certificate__Path"] = _scenario.Settings[$"Clients__{EntraScenario.Client}__Certificate__Path"];
        _scenario.Settings["Clients__billing__Certificate__Password"] = _scenario.Settings[$"Clients__{EntraScenario.Client}__Certificate__Password"];
        await using var app = _scenario.StartProcess();
        await app.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);
        await app.Client(EntraScenario.Client).AcquireTokenForClientAsync(["api://other/.default"], null, default);
        await app.Client("billing").AcquireTokenForClientAsync(Scopes, null, default);
        Assert.Equal(3, (await Entities()).Count);

        var deleted = await app.DeleteTokensAsync(EntraScenario.Client);

        Assert.Equal(204, deleted.Status);
        // Beside the broker's own records: billing's token, and the removal record, which outlives what it removed.
        Assert.Single(await Entities(), e => e.PartitionKey != "broker" && e.RowKey != "removal");
        var orders = await app.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);
        var billing = await app.Client("billing").AcquireTokenForClientAsync(Scopes, null, default);
        Assert.Equal(TokenFunctions.Tokens.TokenSource.IdentityProvider, orders.Token!.Source);
        Assert.Equal(TokenFunctions.Tokens.TokenSource.Cache, billing.Token!.Source);
        Assert.Equal(404, (await app.DeleteTokensAsync("nobody")).Status);
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

    /// <summary>Lets the first entity write reach Azurite, then loses its answer, so the SDK retries it.</summary>
    private sealed class LostFirstWriteResponse : DelegatingHandler
    {
        private int _lost;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var entityWrite = request.Method != HttpMethod.Get && !request.RequestUri!.AbsolutePath.EndsWith("/Tables", StringComparison.Ordinal);
            if (entityWrite && response.IsSuccessStatusCode && Interlocked.Exchange(ref _lost, 1) == 0)
            {
                response.Dispose();
                throw new HttpRequestException("The connection was reset (simulated lost response).", new IOException("reset"));
            }

            return response;
        }
    }
}
