using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Caching;

/// <summary>Table trouble is not an outage: callers keep getting tokens, and the cache comes back by itself.</summary>
public sealed class TableOutageTests
{
    [Fact]
    public async Task Requests_succeed_through_entra_while_the_table_is_down_and_the_cache_is_used_again_after_it_returns()
    {
        // A private Azurite, since this test stops it.
        await using var azurite = await AzuriteServer.StartAsync();
        await using var scenario = await EntraScenario.StartAsync(azurite);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = scenario.StartProcess(time);
        var client = app.Client(EntraScenario.Client);
        Assert.True((await client.AcquireTokenForClientAsync(["api://one/.default"], null, default)).Succeeded);

        await azurite.StopAsync();
        var duringOutage = new[]
        {
            await client.AcquireTokenForClientAsync(["api://two/.default"], null, default),
            await client.AcquireTokenForClientAsync(["api://three/.default"], null, default),
            await client.AcquireTokenForClientAsync(["api://one/.default"], null, default),
        };

        Assert.All(duringOutage, r => Assert.True(r.Succeeded, r.Error?.Description));
        Assert.Single(app.Logs.Lines, l => l.EventId.Id == 2010);
        Assert.Equal(3, scenario.Entra.TokenCalls());

        await azurite.StartAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(31));
        app.Requests.Clear();
        var afterwards = await client.AcquireTokenForClientAsync(["api://four/.default"], null, default);

        Assert.True(afterwards.Succeeded);
        Assert.Contains(app.Requests.Entries, e => e.Host == "127.0.0.1" && e.Method == "POST");
        Assert.Single(app.Logs.Lines, l => l.EventId.Id == 2011);
        await using var next = scenario.StartProcess(time);
        var fromTable = await next.Client(EntraScenario.Client).AcquireTokenForClientAsync(["api://four/.default"], null, default);
        Assert.Equal(afterwards.Token!.Value, fromTable.Token!.Value);
        Assert.Equal(4, scenario.Entra.TokenCalls());
    }
}
