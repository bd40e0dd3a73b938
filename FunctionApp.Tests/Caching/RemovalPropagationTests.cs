using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Caching;
using TokenFunctions.Tests.Rig;
using TokenFunctions.Tokens;
using Xunit;

namespace TokenFunctions.Tests.Caching;

/// <summary>
/// Removed means removed, on every instance: after the 204 of <c>DELETE /api/clients/{client}/tokens</c>,
/// a request that starts more than <c>TokenCache__RemovalPropagation</c> later, on any instance, never
/// gets a token that was cached before — not from memory, not from the Table, not put back by an
/// acquisition that was under way.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class RemovalPropagationTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly string[] Scopes = [EntraScenario.Scope];
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(5);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private EntraScenario _scenario = null!;

    public async Task InitializeAsync()
    {
        _scenario = await EntraScenario.StartAsync(azurite.Server);
        _scenario.Entra.Time = _time;
        _scenario.Settings["TokenCache__RemovalPropagation"] = "00:00:05";
    }

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    [Fact]
    public async Task Another_instance_stops_serving_a_removed_token_from_memory_within_the_propagation_interval()
    {
        await using var a = _scenario.StartProcess(_time);
        await using var b = _scenario.StartProcess(_time);
        var removed = await TokenAsync(a);
        Assert.Equal(removed, await TokenAsync(b));

        Assert.Equal(204, (await a.DeleteTokensAsync(EntraScenario.Client)).Status);
        _time.Advance(Propagation + TimeSpan.FromSeconds(1));

        Assert.NotEqual(removed, await TokenAsync(b));
        Assert.NotEqual(removed, await TokenAsync(a));
        await using var c = _scenario.StartProcess(_time);
        Assert.NotEqual(removed, await TokenAsync(c));
    }

    [Fact]
    public async Task A_prewarm_run_on_another_instance_refreshes_a_removed_token_rather_than_calling_it_fresh()
    {
        await using var a = _scenario.StartProcess(_time);
        await using var b = _scenario.StartProcess(_time);
        await TokenAsync(b);

        Assert.Equal(204, (await a.DeleteTokensAsync(EntraScenario.Client)).Status);
        _time.Advance(Propagation + TimeSpan.FromSeconds(1));
        var outcome = await b.Client(EntraScenario.Client).PrewarmAsync(Scopes, TimeSpan.FromMinutes(15), CancellationToken.None);

        Assert.Equal(PrewarmState.Refreshed, outcome.State);
    }

    [Fact]
    public async Task An_acquisition_under_way_during_the_removal_does_not_put_its_token_back()
    {
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _scenario.Entra.BeforeAnswer = (_, _) =>
        {
            asked.TrySetResult();
            return answer.Task;
        };
        await using var a = _scenario.StartProcess(_time);
        await using var b = _scenario.StartProcess(_time);

        var inFlight = a.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, CancellationToken.None).AsTask();
        await asked.Task;
        Assert.Equal(204, (await b.DeleteTokensAsync(EntraScenario.Client)).Status);
        _scenario.Entra.BeforeAnswer = null;
        answer.SetResult();
        var removed = (await inFlight).Token!.Value;
        _time.Advance(Propagation + TimeSpan.FromSeconds(1));

        Assert.NotEqual(removed, await TokenAsync(a));
        await using var c = _scenario.StartProcess(_time);
        Assert.NotEqual(removed, await TokenAsync(c));
        Assert.NotEqual(removed, await TokenAsync(b));
    }

    [Fact]
    public async Task Within_the_interval_warm_hits_cost_no_table_call_and_a_check_costs_one_read()
    {
        await using var app = _scenario.StartProcess(_time);
        await TokenAsync(app);
        var before = app.Requests.Entries.Count;

        await TokenAsync(app);
        Assert.Equal(before, app.Requests.Entries.Count);

        _time.Advance(Propagation + TimeSpan.FromSeconds(1));
        await TokenAsync(app);
        await TokenAsync(app);
        Assert.Equal(before + 1, app.Requests.Entries.Count);
        Assert.Equal(1, _scenario.Entra.TokenCalls());
    }

    [Fact]
    public async Task An_instance_that_cannot_read_the_table_does_not_serve_what_a_removal_it_missed_removed()
    {
        var tableDown = new FailingWhenDown();
        await using var a = _scenario.StartProcess(_time);
        await using var b = _scenario.StartProcess(_time, services =>
            services.AddHttpClient(TokenCacheServiceCollectionExtensions.TableHttpClientName).AddHttpMessageHandler(() => tableDown));
        var removed = await TokenAsync(b);

        Assert.Equal(204, (await a.DeleteTokensAsync(EntraScenario.Client)).Status);
        tableDown.Down = true;
        _time.Advance(Propagation + TimeSpan.FromSeconds(1));

        Assert.NotEqual(removed, await TokenAsync(b));
    }

    [Fact]
    public async Task A_write_that_lands_after_the_removal_listed_the_partition_is_taken_back()
    {
        var hold = HoldFirstRequest.EntityInsert();
        await using var a = _scenario.StartProcess(_time);
        await using var c = _scenario.StartProcess(_time, services =>
            services.AddHttpClient(TokenCacheServiceCollectionExtensions.TableHttpClientName).AddHttpMessageHandler(() => hold));

        var inFlight = c.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, CancellationToken.None).AsTask();
        await hold.Arrived; // checked the removal record, about to insert the row
        Assert.Equal(204, (await a.DeleteTokensAsync(EntraScenario.Client)).Status);
        hold.Release();
        var removed = (await inFlight).Token!.Value;
        _time.Advance(Propagation + TimeSpan.FromSeconds(1));

        await using var fresh = _scenario.StartProcess(_time);
        Assert.NotEqual(removed, await TokenAsync(fresh));
    }

    [Fact]
    public async Task Two_removals_at_once_never_leave_the_lower_generation_behind()
    {
        var holdRecordWrite = new HoldFirstRequest(r =>
            r.Method == HttpMethod.Put && r.RequestUri!.AbsolutePath.Contains("RowKey='removal'", StringComparison.Ordinal));
        _scenario.Settings["TokenCache__OperationTimeout"] = "00:00:30"; // the held write outlives the 10 s below
        await using var a = _scenario.StartProcess(_time);
        await using var b = _scenario.StartProcess(_time, services =>
            services.AddHttpClient(TokenCacheServiceCollectionExtensions.TableHttpClientName).AddHttpMessageHandler(() => holdRecordWrite));
        Assert.Equal(204, (await a.DeleteTokensAsync(EntraScenario.Client)).Status);

        var slowRemoval = b.DeleteTokensAsync(EntraScenario.Client); // read the record, computed its generation, held
        await holdRecordWrite.Arrived;
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(204, (await a.DeleteTokensAsync(EntraScenario.Client)).Status);
        var secondRemoval = _time.GetUtcNow().UtcTicks;
        holdRecordWrite.Release();
        Assert.Equal(204, (await slowRemoval).Status);

        var removals = new ClientRemovals(
            a.Services.GetRequiredService<BrokerRecords>(),
            CacheKeys.AppTokenPartition(EntraScenario.Client, _scenario.ClientId, _scenario.Tenant),
            a.Services.GetRequiredService<IOptions<TokenCacheOptions>>(),
            _time);
        Assert.True(await removals.ReadAsync(CancellationToken.None) > secondRemoval);
    }

    /// <summary>Answers 503 for every Table request while the test says the Table is down.</summary>
    private sealed class FailingWhenDown : DelegatingHandler
    {
        public volatile bool Down;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Down ? Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable) { RequestMessage = request }) : base.SendAsync(request, cancellationToken);
    }

    private static async Task<string> TokenAsync(AppProcess app)
    {
        var result = await app.Client(EntraScenario.Client).AcquireTokenForClientAsync(Scopes, null, CancellationToken.None);
        Assert.True(result.Succeeded, result.Error?.Description);
        return result.Token.Value;
    }
}
