using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Tests.Rig;
using TokenFunctions.Tokens;
using Xunit;

namespace TokenFunctions.Tests.Caching;

/// <summary>
/// What a miss costs in Table round trips: everything the broker needs to know before it calls Entra
/// (the token entry, the resource's throttle record, the client's removal generation) comes back in one
/// read, and what it learnt goes back in one write.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class TableRoundTripTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly string[] Scopes = [EntraScenario.Scope];
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync()
    {
        _scenario = await EntraScenario.StartAsync(azurite.Server);

        // A deployed app's table exists: creating it is a first-write-ever cost, not a miss's. And MSAL
        // asks Entra for instance discovery once per process (the broker keeps the answer in the
        // Table for the next processes), not once per miss: done here, for another resource.
        await _scenario.Table(azurite.Server).CreateIfNotExistsAsync();
        await using var earlier = _scenario.StartProcess();
        await earlier.Client(EntraScenario.Client).AcquireTokenForClientAsync(["api://warm-up/.default"], null, default);
    }

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    [Fact]
    public async Task A_miss_with_nothing_in_the_table_costs_one_read_and_one_write()
    {
        await using var app = _scenario.StartProcess();

        var result = await app.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);

        Assert.Equal(TokenSource.IdentityProvider, result.Token!.Source);
        Assert.Equal((1, 1), TableReadsAndWrites(app));
    }

    [Fact]
    public async Task A_due_token_costs_one_read_and_one_write()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = _scenario.StartProcess(time);
        var client = app.Client(EntraScenario.Client);
        await client.AcquireTokenForClientAsync(Scopes, null, default);
        time.Advance(TimeSpan.FromMinutes(56)); // within 5 minutes of the 1-hour token's expiry
        app.Requests.Clear();

        var refreshed = await client.AcquireTokenForClientAsync(Scopes, null, default);

        Assert.Equal(TokenSource.IdentityProvider, refreshed.Token!.Source);
        Assert.Equal((1, 1), TableReadsAndWrites(app));
    }

    [Fact]
    public async Task A_due_token_found_by_a_new_instance_costs_one_read_and_one_write()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using (var earlier = _scenario.StartProcess(time))
        {
            await earlier.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);
        }

        time.Advance(TimeSpan.FromMinutes(56));
        await using var cold = _scenario.StartProcess(time);

        var refreshed = await cold.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, default);

        Assert.Equal(TokenSource.IdentityProvider, refreshed.Token!.Source);
        Assert.Equal((1, 1), TableReadsAndWrites(cold));
    }

    private static (int Reads, int Writes) TableReadsAndWrites(AppProcess app) =>
        (app.Requests.TableRequests("GET"), app.Requests.Entries.Count(e => e.Host == "127.0.0.1" && e.Method != "GET"));
}
