using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Identity.Client;
using TokenFunctions.Benchmarks.Rig;
using TokenFunctions.Tests.Rig;
using TokenFunctions.Tokens;
using TokenSource = TokenFunctions.Tokens.TokenSource;

namespace TokenFunctions.Benchmarks;

/// <summary>
/// (f) One cache miss, for its Table round trips (the "Table reads/op" and "Table writes/op"
/// columns; the time is one Entra round trip and is secondary). A miss with nothing in the Table: a
/// new instance, or a new MSAL application with a new Id.Web adapter, over a new table that exists
/// already. A due token: an instance holding a token (in memory and in its Table) whose refresh
/// point has passed on its clock, so it re-reads the Table and asks Entra. MSAL's instance discovery,
/// once per process, is done in the global setup: it is not a miss's cost.
/// </summary>
[Config(typeof(ColdStartConfig))]
public class MissBenchmarks
{
    public const string Category = "(f) Cache miss: Table operations";

    private static readonly string[] Scopes = [Contenders.Scope];

    private BenchmarkRig _rig = null!;
    private TableTraffic _traffic = new();
    private OperationCounts _before;

    private AppProcess? _coreInstance;
    private TokenResult _coreResult;
    private RoutedMsalHttpClientFactory? _msalHttp;
    private HttpClient? _tableHttp;
    private IConfidentialClientApplication? _application;
    private AuthenticationResult? _idWebResult;

    [GlobalSetup]
    public async Task SetUpAsync()
    {
        _rig = await BenchmarkRig.SharedAsync();
        var table = NewTable();
        await using var earlier = _rig.Contenders.StartCore(table, new TableTraffic());
        await Contenders.ClientOf(earlier).AcquireTokenForClientAsync(Scopes, null, CancellationToken.None);
        using var msalHttp = _rig.Contenders.NewMsalHttpClientFactory();
        await _rig.Contenders.NewMsalApplication(msalHttp).AcquireTokenForClient(Scopes).ExecuteAsync();
    }

    [GlobalCleanup]
    public void CleanUp()
    {
        _coreInstance = null;
        OperationLog.Flush();
    }

    [IterationSetup(Target = nameof(IdWeb_adapter_empty_table))]
    public void BeginIdWebIteration()
    {
        var table = NewTable();
        _msalHttp = _rig.Contenders.NewMsalHttpClientFactory();
        _tableHttp = _rig.Contenders.NewTableHttpClient(_traffic = new TableTraffic());
        _application = _rig.Contenders.NewMsalApplication(_msalHttp);
        Contenders.AttachIdWebAdapter(_application, new TableDistributedCache(_rig.Contenders.NewTableClient(table, _tableHttp), TimeProvider.System, false));
        _before = Counts();
    }

    [IterationSetup(Target = nameof(Core_empty_table))]
    public void BeginEmptyTableIteration()
    {
        _coreInstance = _rig.Contenders.StartCore(NewTable(), _traffic = new TableTraffic());
        _before = Counts();
    }

    [IterationSetup(Target = nameof(Core_due_token))]
    public void BeginDueTokenIteration()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _coreInstance = _rig.Contenders.StartCore(NewTable(), _traffic = new TableTraffic(), time: time);
        var first = Contenders.ClientOf(_coreInstance).AcquireTokenForClientAsync(Scopes, null, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        if (!first.Succeeded)
        {
            throw new InvalidOperationException($"The core's first token failed: {first.Error}");
        }

        time.Advance(TimeSpan.FromMinutes(56)); // within 5 minutes of the 1-hour token's expiry: due
        _before = Counts();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Category)]
    public async Task<AuthenticationResult> IdWeb_adapter_empty_table() =>
        _idWebResult = await _application!.AcquireTokenForClient(Scopes).ExecuteAsync();

    [Benchmark]
    [BenchmarkCategory(Category)]
    public async Task<TokenResult> Core_empty_table() =>
        _coreResult = await Contenders.ClientOf(_coreInstance!).AcquireTokenForClientAsync(Scopes, null, CancellationToken.None);

    [Benchmark]
    [BenchmarkCategory(Category)]
    public async Task<TokenResult> Core_due_token() =>
        _coreResult = await Contenders.ClientOf(_coreInstance!).AcquireTokenForClientAsync(Scopes, null, CancellationToken.None);

    [IterationCleanup(Target = nameof(IdWeb_adapter_empty_table))]
    public void EndIdWebIteration()
    {
        OperationLog.Record(OperationLog.Key(typeof(MissBenchmarks), nameof(IdWeb_adapter_empty_table)), Counts() - _before);
        _msalHttp?.Dispose();
        _tableHttp?.Dispose();
        if (_idWebResult?.AuthenticationResultMetadata.TokenSource != Microsoft.Identity.Client.TokenSource.IdentityProvider)
        {
            throw new InvalidOperationException("The Id.Web adapter's miss did not go to Entra.");
        }
    }

    [IterationCleanup(Target = nameof(Core_empty_table))]
    public void EndEmptyTableIteration() => EndCore(nameof(Core_empty_table));

    [IterationCleanup(Target = nameof(Core_due_token))]
    public void EndDueTokenIteration() => EndCore(nameof(Core_due_token));

    private void EndCore(string benchmark)
    {
        OperationLog.Record(OperationLog.Key(typeof(MissBenchmarks), benchmark), Counts() - _before);
        _coreInstance?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (_coreResult.Token?.Source != TokenSource.IdentityProvider)
        {
            throw new InvalidOperationException($"{benchmark} did not get its token from Entra: {_coreResult.Error?.ToString() ?? "from the cache"}");
        }
    }

    /// <summary>A new, empty table that exists already, as a deployed app's table does.</summary>
    private string NewTable()
    {
        var table = Contenders.NewTableName();
        _rig.Contenders.CreateTableAsync(table).GetAwaiter().GetResult();
        return table;
    }

    private OperationCounts Counts() => _rig.Counts(_traffic);
}
