using System.Text;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Caching;
using TokenFunctions.Tests.Rig;
using TokenFunctions.Tokens;
using Xunit;

namespace TokenFunctions.Tests.Caching;

/// <summary>
/// A new instance's first request for a token another instance left in the Table: the same token, one
/// Table read, no Entra call — and no MSAL application built for it. Anything the core cannot vouch for
/// (a removed row, a due token, other scopes, another client's or an altered entry) goes to MSAL as
/// before, with the same single read handed over: a miss still costs one read and one write.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class ColdTableHitTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly string[] Scopes = [EntraScenario.Scope];
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync()
    {
        _scenario = await EntraScenario.StartAsync(azurite.Server);

        // Instance discovery is asked once per process and kept in the Table: done here, for another
        // resource, so that the counts below are the request's own.
        await using var earlier = _scenario.StartProcess();
        await earlier.Client(EntraScenario.Client).AcquireTokenForClientAsync(["api://warm-up/.default"], null, default);
    }

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    [Fact]
    public async Task A_cold_start_served_from_the_table_builds_no_msal_application()
    {
        var stored = await TokenFromAnotherInstanceAsync();
        await using var cold = _scenario.StartProcess();

        var result = await cold.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);

        Assert.Equal((stored, TokenSource.Cache), (result.Token!.Value, result.Token.Source));
        Assert.Equal((1, 0), TableReadsAndWrites(cold));
        Assert.Equal(2, _scenario.Entra.TokenCalls()); // the warm-up's and the first instance's
        Assert.Equal(0, ApplicationsBuilt(cold));
    }

    [Fact]
    public async Task The_token_served_from_the_table_is_served_from_memory_next()
    {
        var stored = await TokenFromAnotherInstanceAsync();
        await using var cold = _scenario.StartProcess();
        var client = cold.Client(EntraScenario.Client);
        await client.AcquireTokenForClientAsync(Scopes, null, default);
        cold.Requests.Clear();

        var again = await client.AcquireTokenForClientAsync(Scopes, null, default);

        Assert.Equal(stored, again.Token!.Value);
        Assert.Empty(cold.Requests.Entries);
    }

    [Fact]
    public async Task A_row_written_before_a_removal_is_not_served()
    {
        var stored = await TokenFromAnotherInstanceAsync();
        var table = _scenario.Table(azurite.Server);
        var late = await table.GetEntityAsync<TableEntity>(Row.PartitionKey, Row.RowKey);
        await using (var remover = _scenario.StartProcess())
        {
            Assert.Equal(204, (await remover.DeleteTokensAsync(EntraScenario.Client)).Status);
        }

        // What an acquisition under way during the removal would write: the old row, stamped as older.
        await table.UpsertEntityAsync(late.Value, TableUpdateMode.Replace);
        await using var cold = _scenario.StartProcess();

        var result = await cold.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);

        Assert.Equal(TokenSource.IdentityProvider, result.Token!.Source);
        Assert.NotEqual(stored, result.Token.Value);
        Assert.Equal(1, TableReadsAndWrites(cold).Reads);
    }

    [Fact]
    public async Task A_row_past_its_refresh_point_goes_to_entra_with_one_read_and_one_write()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _scenario.Entra.RefreshIn = TimeSpan.FromMinutes(10);
        var stored = await TokenFromAnotherInstanceAsync(time);
        time.Advance(TimeSpan.FromMinutes(11));
        await using var cold = _scenario.StartProcess(time);

        var result = await cold.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);

        Assert.Equal(TokenSource.IdentityProvider, result.Token!.Source);
        Assert.NotEqual(stored, result.Token.Value);
        Assert.Equal((1, 1), TableReadsAndWrites(cold));
    }

    [Fact]
    public async Task A_row_whose_token_is_for_other_scopes_is_not_served()
    {
        var other = (await TokenFromAnotherInstanceAsync(scopes: ["api://inventory/read"]));
        await using var cold = _scenario.StartProcess();

        var result = await cold.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);

        Assert.Equal(TokenSource.IdentityProvider, result.Token!.Source);
        Assert.NotEqual(other, result.Token.Value);
        Assert.Equal((1, 1), TableReadsAndWrites(cold));
    }

    public static TheoryData<string, string> Alterations => new()
    {
        { "another client's token", "\"client_id\":\"{clientId}\"=>\"client_id\":\"00000000-0000-0000-0000-000000000000\"" },
        { "another tenant's token", "\"realm\":\"{tenant}\"=>\"realm\":\"other-tenant\"" },
        { "a proof-of-possession token", "\"credential_type\":\"AccessToken\"=>\"credential_type\":\"AccessToken\",\"token_type\":\"pop\",\"key_id\":\"k1\"" },
        { "another resource's token", "\"target\":\"api://inventory/.default\"=>\"target\":\"api://elsewhere/.default\"" },
        { "an expiry that is not a number", "\"expires_on\":\"=>\"expires_on\":\"x" },
        { "a cache cut short", "\"secret\"=>" },
    };

    [Theory]
    [MemberData(nameof(Alterations))]
    public async Task An_entry_the_core_cannot_vouch_for_is_a_miss(string what, string alteration)
    {
        var stored = await TokenFromAnotherInstanceAsync();
        await AlterStoredCacheAsync(alteration);
        await using var cold = _scenario.StartProcess();

        var result = await cold.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);

        Assert.True(result.Succeeded, what);
        Assert.Equal(TokenSource.IdentityProvider, result.Token!.Source);
        Assert.NotEqual(stored, result.Token.Value);
        Assert.Equal((1, 1), TableReadsAndWrites(cold));
    }

    [Fact]
    public async Task A_sealed_entry_altered_in_the_table_is_a_miss()
    {
        var stored = await TokenFromAnotherInstanceAsync();
        var table = _scenario.Table(azurite.Server);
        var entity = (await table.GetEntityAsync<TableEntity>(Row.PartitionKey, Row.RowKey)).Value;
        var sealedBytes = entity.Keys.Select(k => entity[k]).OfType<byte[]>().First();
        sealedBytes[^1] ^= 1;
        await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace);
        await using var cold = _scenario.StartProcess();

        var result = await cold.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);

        Assert.Equal(TokenSource.IdentityProvider, result.Token!.Source);
        Assert.NotEqual(stored, result.Token.Value);
        Assert.Equal((1, 1), TableReadsAndWrites(cold));
    }

    [Fact]
    public async Task A_table_that_does_not_answer_holds_a_cold_request_no_longer_than_the_request_budget()
    {
        // The Table's own time box is longer than the whole request's budget here: the budget decides.
        _scenario.Settings["TokenCache__OperationTimeout"] = "00:00:30";
        _scenario.Settings["Http__RequestBudget"] = "00:00:02";
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var reads = new SemaphoreSlim(0);
        await using var cold = _scenario.StartProcess(time, services => services
            .AddHttpClient(TokenCacheServiceCollectionExtensions.TableHttpClientName)
            .AddHttpMessageHandler(() => new UnansweredReads(reads)));
        var entraCalls = _scenario.Entra.TokenCalls();

        var request = cold.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default).AsTask();
        await reads.WaitAsync();
        time.Advance(TimeSpan.FromSeconds(2));

        // Bounded in real time only so that a regression fails instead of hanging.
        var result = await request.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal((TokenErrorKind.Timeout, "temporarily_unavailable"), (result.Error!.Kind, result.Error.Error));
        Assert.Equal(entraCalls, _scenario.Entra.TokenCalls());
    }

    private CacheEntryKey Row => new(
        CacheKeys.AppTokenPartition(EntraScenario.Client, _scenario.ClientId, _scenario.Tenant), CacheKeys.ResourceRow("api://inventory"));

    private async Task<string> TokenFromAnotherInstanceAsync(TimeProvider? time = null, string[]? scopes = null)
    {
        await using var warm = _scenario.StartProcess(time);
        var result = await warm.Client(EntraScenario.Client).AcquireTokenForClientAsync(scopes ?? Scopes, null, default);
        Assert.Equal(TokenSource.IdentityProvider, result.Token!.Source);
        return result.Token.Value;
    }

    /// <summary>Rewrites the stored MSAL cache ("find=>replace"), sealed as the broker seals it: only its content differs.</summary>
    private async Task AlterStoredCacheAsync(string alteration)
    {
        await using var writer = _scenario.StartProcess();
        var table = writer.Services.GetRequiredService<TokenCacheTable>();
        var entry = (await table.ReadAsync(Row, withRemovalRecord: true, default)).Entry!;
        var parts = alteration.Replace("{clientId}", _scenario.ClientId, StringComparison.Ordinal)
            .Replace("{tenant}", _scenario.Tenant, StringComparison.Ordinal).Split("=>");
        var json = Encoding.UTF8.GetString(entry.Payload!);
        Assert.Contains(parts[0], json, StringComparison.Ordinal);
        var altered = parts[1].Length == 0 ? json[..json.IndexOf(parts[0], StringComparison.Ordinal)] : json.Replace(parts[0], parts[1], StringComparison.Ordinal);
        Assert.NotNull(await table.TryWriteAsync(Row, Encoding.UTF8.GetBytes(altered), "test", entry.Generation, null, entry.ETag, default));
    }

    /// <summary>A Table that takes every read and never answers it (until the caller gives up).</summary>
    private sealed class UnansweredReads(SemaphoreSlim arrivals) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method != HttpMethod.Get)
            {
                return await base.SendAsync(request, cancellationToken);
            }

            arrivals.Release();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new OperationCanceledException(cancellationToken);
        }
    }

    private static int ApplicationsBuilt(AppProcess app) => app.Services.GetRequiredService<MsalApplicationFactory>().ApplicationsBuilt;

    private static (int Reads, int Writes) TableReadsAndWrites(AppProcess app) =>
        (app.Requests.TableRequests("GET"), app.Requests.Entries.Count(e => e.Host == "127.0.0.1" && e.Method != "GET"));
}
