using BenchmarkDotNet.Attributes;
using Microsoft.Identity.Client;
using TokenFunctions.Benchmarks.Rig;
using TokenFunctions.Tests.Rig;
using TokenFunctions.Tokens;

namespace TokenFunctions.Benchmarks;

/// <summary>
/// (d) 1,000 callers ask a cold instance for the same token at once while Entra takes 50 ms to
/// answer. What matters is how many requests reach Entra (the "Entra calls/op" column); the time
/// is secondary. Each iteration starts cold: a new core instance over a new Table, a new MSAL
/// application, a new MSAL application with a new Id.Web adapter over a new Table.
/// </summary>
[Config(typeof(HerdConfig))]
public class HerdBenchmarks
{
    public const string Category = "(d) Herd: 1,000 concurrent cold requests, Entra 50 ms";
    public const int Callers = 1000;

    private static readonly TimeSpan EntraLatency = TimeSpan.FromMilliseconds(50);
    private static readonly string[] Scopes = [Contenders.Scope];

    private BenchmarkRig _rig = null!;
    private TableTraffic _traffic = new();
    private OperationCounts _before;
    private int _failures;

    private AppProcess? _coreInstance;
    private ConfidentialClient? _core;
    private RoutedMsalHttpClientFactory? _msalHttp;
    private HttpClient? _tableHttp;
    private IConfidentialClientApplication? _application;

    [GlobalSetup]
    public async Task SetUpAsync()
    {
        _rig = await BenchmarkRig.SharedAsync();
        _rig.Entra.Latency = EntraLatency;
    }

    [GlobalCleanup]
    public void CleanUp()
    {
        _rig.Entra.Latency = TimeSpan.Zero;
        OperationLog.Flush();
    }

    [IterationSetup(Target = nameof(Msal_in_memory))]
    public void BeginMsalIteration()
    {
        _traffic = new TableTraffic(); // MSAL alone has no Table.
        _msalHttp = _rig.Contenders.NewMsalHttpClientFactory();
        _application = _rig.Contenders.NewMsalApplication(_msalHttp);
        Begin();
    }

    [IterationSetup(Target = nameof(IdWeb_adapter))]
    public void BeginIdWebIteration()
    {
        var table = NewTable();
        _msalHttp = _rig.Contenders.NewMsalHttpClientFactory();
        _tableHttp = _rig.Contenders.NewTableHttpClient(_traffic = new TableTraffic());
        _application = _rig.Contenders.NewMsalApplication(_msalHttp);
        Contenders.AttachIdWebAdapter(
            _application, new TableDistributedCache(_rig.Contenders.NewTableClient(table, _tableHttp), TimeProvider.System, false));
        Begin();
    }

    [IterationSetup(Target = nameof(Core))]
    public void BeginCoreIteration()
    {
        _coreInstance = _rig.Contenders.StartCore(NewTable(), _traffic = new TableTraffic());
        _core = Contenders.ClientOf(_coreInstance);
        Begin();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Category)]
    public Task Msal_in_memory() => HerdAsync(MsalRequestAsync);

    [Benchmark]
    [BenchmarkCategory(Category)]
    public Task IdWeb_adapter() => HerdAsync(MsalRequestAsync);

    [Benchmark]
    [BenchmarkCategory(Category)]
    public Task Core() => HerdAsync(async () => (await _core!.AcquireTokenForClientAsync(Scopes, null, CancellationToken.None)).Succeeded);

    [IterationCleanup(Target = nameof(Msal_in_memory))]
    public void EndMsalIteration()
    {
        _msalHttp?.Dispose();
        End(nameof(Msal_in_memory));
    }

    [IterationCleanup(Target = nameof(IdWeb_adapter))]
    public void EndIdWebIteration()
    {
        _msalHttp?.Dispose();
        _tableHttp?.Dispose();
        End(nameof(IdWeb_adapter));
    }

    [IterationCleanup(Target = nameof(Core))]
    public void EndCoreIteration()
    {
        _coreInstance?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        End(nameof(Core));
    }

    private async Task<bool> MsalRequestAsync()
    {
        try
        {
            await _application!.AcquireTokenForClient(Scopes).ExecuteAsync();
            return true;
        }
        catch (MsalException)
        {
            return false;
        }
    }

    /// <summary>Releases <see cref="Callers"/> requests at once on the thread pool and waits for all of them.</summary>
    private async Task HerdAsync(Func<Task<bool>> request)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = new Task<bool>[Callers];
        for (var i = 0; i < Callers; i++)
        {
            callers[i] = Task.Run(async () =>
            {
                await start.Task;
                return await request();
            });
        }

        start.SetResult();
        var results = await Task.WhenAll(callers);
        _failures = results.Count(ok => !ok);
    }

    /// <summary>A new, empty table that exists already, as a deployed app's table does.</summary>
    private string NewTable()
    {
        var table = Contenders.NewTableName();
        _rig.Contenders.CreateTableAsync(table).GetAwaiter().GetResult();
        return table;
    }

    private void Begin()
    {
        _failures = 0;
        _before = Counts();
    }

    private void End(string benchmark)
    {
        OperationLog.Record(OperationLog.Key(typeof(HerdBenchmarks), benchmark), Counts() - _before);
        if (_failures > 0)
        {
            throw new InvalidOperationException($"{benchmark}: {_failures} of {Callers} requests failed.");
        }
    }

    private OperationCounts Counts() => _rig.Counts(_traffic);
}
