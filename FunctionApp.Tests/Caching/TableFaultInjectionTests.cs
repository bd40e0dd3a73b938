using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TokenFunctions.Caching;
using TokenFunctions.Telemetry;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using Xunit;

namespace TokenFunctions.Tests.Caching;

/// <summary>
/// Every way the Table fails, met by concurrent token requests: no caller gets a 500, every token
/// Entra issued reaches a caller, a failing Table is left alone for the back-off and used again when
/// it is back, health says "degraded" rather than failing, and an entry nobody can read is a miss that
/// the next write replaces.
/// </summary>
[Collection(UsesAzurite.Name)]
public sealed class TableFaultInjectionTests(AzuriteFixture azurite)
{
    private const string TableOperations = "tokenfunctions.table.operations";
    private static readonly string[] Warm = ["api://alpha/.default", "api://beta/.default"];
    private static readonly string[] Cold = ["api://gamma/.default", "api://delta/.default", "api://epsilon/.default"];

    [Theory]
    [InlineData(nameof(AuthenticationFailedException))]
    [InlineData(nameof(CredentialUnavailableException))]
    public async Task An_identity_failure_on_the_way_to_the_table_is_a_table_outage_not_an_error(string failure)
    {
        await using var storage = await AzuriteServer.StartAsync(identityAccess: true);
        await using var scenario = await EntraScenario.StartAsync(storage);
        scenario.Settings["AzureWebJobsStorage"] = null;
        scenario.Settings["AzureWebJobsStorage__tableServiceUri"] = storage.TableEndpoint;
        var identity = new StorageIdentity();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = scenario.StartProcess(time, services => services.AddSingleton<TokenCredential>(identity));
        using var signals = Listen(app);
        var answers = new List<FunctionResponse>(await BurstAsync(app, Warm));

        identity.Failure = failure == nameof(AuthenticationFailedException)
            ? new AuthenticationFailedException("ManagedIdentityCredential authentication failed: the identity endpoint answered 500 (simulated).")
            : new CredentialUnavailableException("ManagedIdentityCredential authentication unavailable: no identity endpoint answered (simulated).");
        answers.AddRange(await BurstAsync(app, [.. Warm, .. Cold]));

        AssertEveryCallerServed(answers, scenario.Entra);
        await AssertBackingOffAndDegradedAsync(app, signals);

        identity.Failure = null;
        await AssertTableUsedAgainAfterTheBackOffAsync(app, signals, time, scenario, services => services.AddSingleton<TokenCredential>(identity));
    }

    [Theory]
    [InlineData("503")]
    [InlineData("connection refused")]
    public async Task A_table_that_refuses_is_backed_off_from_and_used_again_when_it_answers(string refusal)
    {
        await using var scenario = await EntraScenario.StartAsync(azurite.Server);
        var faults = new TableFaults();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = scenario.StartProcess(time, faults.Install);
        using var signals = Listen(app);
        var answers = new List<FunctionResponse>(await BurstAsync(app, Warm));

        faults.Answer = refusal == "503"
            ? (_, _) => Task.FromResult(TableError(HttpStatusCode.ServiceUnavailable, "ServerBusy", "The server is busy."))
            : (_, _) => throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (simulated)", new SocketException((int)SocketError.ConnectionRefused));
        answers.AddRange(await BurstAsync(app, [.. Warm, .. Cold]));

        AssertEveryCallerServed(answers, scenario.Entra);
        await AssertBackingOffAndDegradedAsync(app, signals);

        faults.Answer = null;
        await AssertTableUsedAgainAfterTheBackOffAsync(app, signals, time, scenario);
    }

    [Fact]
    public async Task A_table_slower_than_the_operation_timeout_is_given_up_on_and_backed_off_from()
    {
        await using var scenario = await EntraScenario.StartAsync(azurite.Server);
        var faults = new TableFaults();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = scenario.StartProcess(time, faults.Install);
        using var signals = Listen(app);
        var answers = new List<FunctionResponse>(await BurstAsync(app, Warm));

        var arrivals = new SemaphoreSlim(0);
        var never = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        faults.Answer = (_, cancellationToken) =>
        {
            arrivals.Release();
            return never.Task.WaitAsync(cancellationToken);
        };
        var burst = BurstAsync(app, [.. Warm, .. Cold]);
        while (!burst.IsCompleted)
        {
            // Each call that reached the Table waits until the operation timeout (TokenCache__OperationTimeout, 1 s) has passed.
            var arrived = arrivals.WaitAsync();
            if (await Task.WhenAny(burst, arrived) == arrived)
            {
                time.Advance(TimeSpan.FromSeconds(1));
            }
        }

        answers.AddRange(await burst);

        AssertEveryCallerServed(answers, scenario.Entra);
        await AssertBackingOffAndDegradedAsync(app, signals);

        faults.Answer = null;
        await AssertTableUsedAgainAfterTheBackOffAsync(app, signals, time, scenario);
    }

    [Fact]
    public async Task Entries_of_the_wrong_type_are_misses_that_the_next_write_replaces_on_every_instance()
    {
        await using var scenario = await EntraScenario.StartAsync(azurite.Server);

        // About what the rows hold, not a slow Table: a write past the 1 s default is skipped on a loaded machine.
        scenario.Settings["TokenCache__OperationTimeout"] = "00:00:30";
        var answers = new List<FunctionResponse>();
        await using (var first = scenario.StartProcess())
        {
            answers.AddRange(await BurstAsync(first, Warm));
        }

        // Anyone with access to the Table can write any type under the broker's property names: here
        // over every row the broker wrote, and as a throttle record beside each token row.
        var table = scenario.Table(azurite.Server);
        var rows = await Entities(table);
        Assert.Equal(Warm.Length, rows.Count(r => r.PartitionKey.StartsWith("app-", StringComparison.Ordinal)));
        foreach (var row in rows)
        {
            await table.UpdateEntityAsync(
                new TableEntity(row.PartitionKey, row.RowKey) { ["Payload"] = "not sealed bytes", ["KeyId"] = 42, ["WriteId"] = 7, ["ExpiresOn"] = "tomorrow" },
                ETag.All, TableUpdateMode.Replace);
            if (row.PartitionKey.StartsWith("app-", StringComparison.Ordinal))
            {
                await table.UpsertEntityAsync(
                    new TableEntity(row.PartitionKey, "throttle-" + row.RowKey) { ["Payload"] = Encoding.UTF8.GetBytes("not sealed"), ["KeyId"] = 42 },
                    TableUpdateMode.Replace);
            }
        }

        var entraCalls = scenario.Entra.TokenCalls();
        await using (var second = scenario.StartProcess())
        {
            using var signals = Listen(second);
            answers.AddRange(await BurstAsync(second, Warm));

            AssertEveryCallerServed(answers, scenario.Entra);
            Assert.Equal(entraCalls + Warm.Length, scenario.Entra.TokenCalls());
            Assert.Equal(0, signals.Sum(TableOperations, ("outcome", "failure")) + signals.Sum(TableOperations, ("outcome", "skipped")));
            Assert.Contains(second.Logs.Lines, l => l.EventId.Id == 2005);
            var health = await second.GetHealthAsync();
            Assert.Equal("healthy", health.Text("status"));
        }

        await using var third = scenario.StartProcess();
        var fromTable = await BurstAsync(third, Warm);
        Assert.All(fromTable, r => Assert.Equal("cache", r.Text("token_source")));
        Assert.Equal(entraCalls + Warm.Length, scenario.Entra.TokenCalls());
    }

    [Fact]
    public async Task A_deleted_table_is_a_miss_and_is_created_again_by_the_next_write()
    {
        await using var scenario = await EntraScenario.StartAsync(azurite.Server);
        await using var app = scenario.StartProcess();
        using var signals = Listen(app);
        var answers = new List<FunctionResponse>(await BurstAsync(app, Warm));

        await scenario.Table(azurite.Server).DeleteAsync();
        answers.AddRange(await BurstAsync(app, [.. Warm, .. Cold]));

        AssertEveryCallerServed(answers, scenario.Entra);
        Assert.Equal(0, signals.Sum(TableOperations, ("outcome", "skipped")));
        Assert.Equal("healthy", (await app.GetHealthAsync()).Text("status"));
        await using var next = scenario.StartProcess();
        var fromTable = await BurstAsync(next, Cold);
        Assert.All(fromTable, r => Assert.Equal("cache", r.Text("token_source")));
        Assert.Equal(Warm.Length + Cold.Length, scenario.Entra.TokenCalls());
    }

    private static CapturedSignals Listen(AppProcess app) =>
        new(app.Services.GetRequiredService<TokenTelemetry>().Meter, ActivityTraceId.CreateRandom());

    /// <summary>Eight concurrent callers per scope, answered as the Functions host answers them.</summary>
    private static Task<FunctionResponse[]> BurstAsync(AppProcess app, string[] scopes) =>
        Task.WhenAll(scopes.SelectMany(scope => Enumerable.Range(0, 8).Select(_ => CallAsync(app, scope))));

    private static async Task<FunctionResponse> CallAsync(AppProcess app, string scope)
    {
        try
        {
            return await app.PostTokenAsync(EntraScenario.Client, new { scopes = new[] { scope } });
        }
        catch (Exception ex)
        {
            // What the Functions host makes of an exception a function lets through.
            return new FunctionResponse(500, new HeaderDictionary(), $"{{\"unhandled\":\"{ex.GetType().Name}: {ex.Message.Replace('"', '\'')}\"}}");
        }
    }

    private static void AssertEveryCallerServed(IReadOnlyCollection<FunctionResponse> answers, FakeEntraId entra)
    {
        Assert.All(answers, r => Assert.True(r.Status == 200, r.ToString()));
        var received = answers.Select(r => r.Text("access_token")).ToHashSet();
        Assert.All(entra.IssuedTokens, token => Assert.Contains(token, received));
    }

    private static async Task AssertBackingOffAndDegradedAsync(AppProcess app, CapturedSignals signals)
    {
        Assert.False(app.Services.GetRequiredService<TableAvailability>().ShouldTry);
        Assert.True(signals.Sum(TableOperations, ("outcome", "failure")) >= 1);
        Assert.True(signals.Sum(TableOperations, ("outcome", "skipped")) >= 1);
        Assert.Single(app.Logs.Lines, l => l.EventId.Id == 2010);

        var health = await app.GetHealthAsync();
        Assert.Equal(200, health.Status);
        Assert.Equal("degraded", health.Text("status"));
        Assert.Equal("failing", health.Json.GetProperty("checks").GetProperty("table").GetProperty("status").GetString());
    }

    private static async Task AssertTableUsedAgainAfterTheBackOffAsync(
        AppProcess app, CapturedSignals signals, FakeTimeProvider time, EntraScenario scenario, Action<IServiceCollection>? configure = null)
    {
        time.Advance(TimeSpan.FromSeconds(31)); // TokenCache__OutageBackoff
        var successes = signals.Sum(TableOperations, ("outcome", "success"));

        var after = await CallAsync(app, "api://zeta/.default");

        Assert.Equal(200, after.Status);
        Assert.True(app.Services.GetRequiredService<TableAvailability>().ShouldTry);
        Assert.True(signals.Sum(TableOperations, ("outcome", "success")) > successes);
        Assert.Single(app.Logs.Lines, l => l.EventId.Id == 2011);
        Assert.Equal("healthy", (await app.GetHealthAsync()).Text("status"));
        var entraCalls = scenario.Entra.TokenCalls();
        await using var next = scenario.StartProcess(time, configure);
        var fromTable = await CallAsync(next, "api://zeta/.default");
        Assert.Equal(after.Text("access_token"), fromTable.Text("access_token"));
        Assert.Equal(entraCalls, scenario.Entra.TokenCalls());
    }

    private static async Task<List<TableEntity>> Entities(TableClient table)
    {
        var entities = new List<TableEntity>();
        await foreach (var entity in table.QueryAsync<TableEntity>())
        {
            entities.Add(entity);
        }

        return entities;
    }

    private static HttpResponseMessage TableError(HttpStatusCode status, string code, string message) => new(status)
    {
        Content = new StringContent(
            new JsonObject { ["odata.error"] = new JsonObject { ["code"] = code, ["message"] = new JsonObject { ["lang"] = "en-US", ["value"] = message } } }.ToJsonString(),
            Encoding.UTF8,
            "application/json"),
    };

    /// <summary>What the Table answers while a fault is set (null: the real Table), in front of the "Tables" client.</summary>
    private sealed class TableFaults
    {
        public Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>>? Answer { get; set; }

        public void Install(IServiceCollection services) =>
            services.AddHttpClient(TokenCacheServiceCollectionExtensions.TableHttpClientName).AddHttpMessageHandler(() => new Handler(this));

        private sealed class Handler(TableFaults faults) : DelegatingHandler
        {
            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
                faults.Answer is { } answer ? answer(request, cancellationToken) : base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>
    /// The broker's identity as the storage account sees it: a bearer token Azurite accepts, or the
    /// failure a managed identity meets. The token is reported as expiring at once, so the SDK asks for
    /// a new one before every request, as it does when its cached token runs out during an outage.
    /// </summary>
    private sealed class StorageIdentity : TokenCredential
    {
        public Exception? Failure { get; set; }

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            Failure is { } failure ? throw failure : new AccessToken(AzuriteServer.StorageBearerToken(), DateTimeOffset.UtcNow);

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
