using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Identity.Client;
using TokenFunctions.Benchmarks.Rig;
using TokenFunctions.Tests.Rig;
using TokenFunctions.Tokens;
using TokenSource = TokenFunctions.Tokens.TokenSource;

namespace TokenFunctions.Benchmarks;

/// <summary>
/// (c) A new instance with a valid token already in its Table, until the first token. For the core:
/// a new DI container (the Functions app's registration), a new Table client and connection, the
/// client's MSAL application built on first use, one point read. For the baseline: a new MSAL
/// application, a new Id.Web adapter with a new (empty) L1, a new Table client and connection.
/// The instance is disposed after the measured operation. JIT is warm: this is the cost of a new
/// instance in a running process, not of loading the runtime.
/// </summary>
[Config(typeof(ColdStartConfig))]
public class ColdStartBenchmarks
{
    public const string Category = "(c) Cold start, valid entry in the Table";

    private static readonly string[] Scopes = [Contenders.Scope];

    private readonly string _coreTable = Contenders.NewTableName();
    private readonly string _idWebTable = Contenders.NewTableName();
    private BenchmarkRig _rig = null!;
    private TableTraffic _traffic = new();
    private OperationCounts _before;

    private AppProcess? _coreInstance;
    private TokenResult _coreResult;
    private RoutedMsalHttpClientFactory? _idWebMsalHttp;
    private HttpClient? _idWebTableHttp;
    private ServiceProvider? _idWebContainer;
    private AuthenticationResult? _idWebResult;

    [GlobalSetup]
    public async Task SetUpAsync()
    {
        _rig = await BenchmarkRig.SharedAsync();

        // An earlier instance of each puts a token in its Table.
        await using (var earlier = _rig.Contenders.StartCore(_coreTable, new TableTraffic()))
        {
            var seeded = await Contenders.ClientOf(earlier).AcquireTokenForClientAsync(Scopes, null, CancellationToken.None);
            if (!seeded.Succeeded)
            {
                throw new InvalidOperationException($"Seeding the core's Table failed: {seeded.Error}");
            }
        }

        using var msalHttp = _rig.Contenders.NewMsalHttpClientFactory();
        using var tableHttp = _rig.Contenders.NewTableHttpClient(new TableTraffic());
        var application = _rig.Contenders.NewMsalApplication(msalHttp);
        Contenders.AttachIdWebAdapter(application, new TableDistributedCache(_rig.Contenders.NewTableClient(_idWebTable, tableHttp), TimeProvider.System, false));
        await application.AcquireTokenForClient(Scopes).ExecuteAsync();
    }

    [GlobalCleanup]
    public void CleanUp()
    {
        _coreInstance = null;
        _idWebResult = null;
        OperationLog.Flush();
    }

    [IterationSetup]
    public void BeginIteration()
    {
        _traffic = new TableTraffic();
        _before = Counts();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Category)]
    public async Task<AuthenticationResult> IdWeb_adapter()
    {
        _idWebMsalHttp = _rig.Contenders.NewMsalHttpClientFactory();
        _idWebTableHttp = _rig.Contenders.NewTableHttpClient(_traffic);
        var cache = new TableDistributedCache(_rig.Contenders.NewTableClient(_idWebTable, _idWebTableHttp), TimeProvider.System, false);
        var application = _rig.Contenders.NewMsalApplication(_idWebMsalHttp);
        Contenders.AttachIdWebAdapter(application, cache);
        return _idWebResult = await application.AcquireTokenForClient(Scopes).ExecuteAsync();
    }

    /// <summary>
    /// Context, not the baseline: the same adapter composed in a container with the same logging as the
    /// core's instance, as an app with dependency injection would use it.
    /// </summary>
    [Benchmark]
    [BenchmarkCategory(Category)]
    public async Task<AuthenticationResult> IdWeb_adapter_in_container()
    {
        _idWebMsalHttp = _rig.Contenders.NewMsalHttpClientFactory();
        (_idWebContainer, var application) = _rig.Contenders.NewIdWebAdapterInContainer(_idWebTable, _traffic, _idWebMsalHttp);
        return _idWebResult = await application.AcquireTokenForClient(Scopes).ExecuteAsync();
    }

    [Benchmark]
    [BenchmarkCategory(Category)]
    public async Task<TokenResult> Core()
    {
        _coreInstance = _rig.Contenders.StartCore(_coreTable, _traffic);
        return _coreResult = await Contenders.ClientOf(_coreInstance).AcquireTokenForClientAsync(Scopes, null, CancellationToken.None);
    }

    /// <summary>The part of the core's cold start that is the new instance alone: container, options, clients; no request.</summary>
    [Benchmark]
    [BenchmarkCategory(Category)]
    public ConfidentialClient Core_instance_only()
    {
        _coreInstance = _rig.Contenders.StartCore(_coreTable, _traffic);
        return Contenders.ClientOf(_coreInstance);
    }

    [IterationCleanup(Target = nameof(Core_instance_only))]
    public void EndCoreInstanceIteration()
    {
        OperationLog.Record(OperationLog.Key(typeof(ColdStartBenchmarks), nameof(Core_instance_only)), Counts() - _before);
        _coreInstance?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [IterationCleanup(Target = nameof(Core))]
    public void EndCoreIteration()
    {
        OperationLog.Record(OperationLog.Key(typeof(ColdStartBenchmarks), nameof(Core)), Counts() - _before);
        _coreInstance?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (_coreResult.Token?.Source != TokenSource.Cache)
        {
            throw new InvalidOperationException($"The core's cold start did not serve the cached token: {_coreResult.Error?.ToString() ?? "from Entra"}");
        }
    }

    [IterationCleanup(Target = nameof(IdWeb_adapter))]
    public void EndIdWebIteration() => EndIdWebIteration(nameof(IdWeb_adapter));

    [IterationCleanup(Target = nameof(IdWeb_adapter_in_container))]
    public void EndIdWebInContainerIteration() => EndIdWebIteration(nameof(IdWeb_adapter_in_container));

    private void EndIdWebIteration(string benchmark)
    {
        OperationLog.Record(OperationLog.Key(typeof(ColdStartBenchmarks), benchmark), Counts() - _before);
        _idWebMsalHttp?.Dispose();
        _idWebTableHttp?.Dispose();
        _idWebContainer?.Dispose();
        _idWebContainer = null;
        if (_idWebResult?.AuthenticationResultMetadata.TokenSource != Microsoft.Identity.Client.TokenSource.Cache)
        {
            throw new InvalidOperationException("The Id.Web adapter's cold start did not serve the cached token.");
        }
    }

    private OperationCounts Counts() => _rig.Counts(_traffic);
}
