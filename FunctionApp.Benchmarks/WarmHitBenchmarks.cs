using BenchmarkDotNet.Attributes;
using Microsoft.Identity.Client;
using TokenFunctions.Benchmarks.Rig;
using TokenFunctions.Tests.Rig;
using TokenFunctions.Tokens;
using TokenSource = TokenFunctions.Tokens.TokenSource;

namespace TokenFunctions.Benchmarks;

/// <summary>
/// (a) and (b): a token that is already cached, asked for again. The core answers from its front
/// cache; MSAL.NET from its in-memory cache; MSAL with Microsoft.Identity.Web's distributed adapter
/// from the adapter's L1 (deserialized into MSAL on every access), with the adapter's per-hit
/// <c>RefreshAsync</c> either free (no sliding expiration, the default) or reaching the Table.
/// The core is measured in both categories so that each has its own baseline.
/// </summary>
[Config(typeof(WarmHitConfig))]
public class WarmHitBenchmarks
{
    public const string VersusMsal = "(a) Warm hit vs MSAL.NET in-memory";
    public const string VersusIdWeb = "(b) Warm hit vs Id.Web adapter over Tables";

    private static readonly string[] Scopes = [Contenders.Scope];

    private readonly List<IDisposable> _disposables = [];
    private BenchmarkRig _rig = null!;
    private AppProcess _coreInstance = null!;
    private ConfidentialClient _core = null!;
    private IConfidentialClientApplication _msal = null!;
    private IConfidentialClientApplication _idWeb = null!;
    private IConfidentialClientApplication _idWebRefreshing = null!;

    internal TableTraffic CoreTraffic { get; } = new();

    internal TableTraffic IdWebTraffic { get; } = new();

    internal OperationCounts CoreCounts => _rig.Counts(CoreTraffic);

    [GlobalSetup]
    public async Task SetUpAsync()
    {
        _rig = await BenchmarkRig.SharedAsync();

        _coreInstance = _rig.Contenders.StartCore(Contenders.NewTableName(), CoreTraffic);
        _core = Contenders.ClientOf(_coreInstance);
        await WarmAsync(async () => (await _core.AcquireTokenForClientAsync(Scopes, null, CancellationToken.None)).Token?.Source == TokenSource.Cache);

        _msal = NewMsal();
        await WarmAsync(() => FromCacheAsync(_msal));

        _idWeb = NewIdWeb(supportsSlidingExpiration: false);
        await WarmAsync(() => FromCacheAsync(_idWeb));

        _idWebRefreshing = NewIdWeb(supportsSlidingExpiration: true);
        await WarmAsync(() => FromCacheAsync(_idWebRefreshing));
    }

    [GlobalCleanup]
    public async Task CleanUpAsync()
    {
        await _coreInstance.DisposeAsync();
        _disposables.ForEach(d => d.Dispose());
        _disposables.Clear();
        OperationLog.Flush();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(VersusMsal)]
    public Task<AuthenticationResult> Msal_in_memory() => _msal.AcquireTokenForClient(Scopes).ExecuteAsync();

    [Benchmark]
    [BenchmarkCategory(VersusMsal)]
    public ValueTask<TokenResult> Core_vs_msal() => _core.AcquireTokenForClientAsync(Scopes, null, CancellationToken.None);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(VersusIdWeb)]
    public Task<AuthenticationResult> IdWeb_adapter() => _idWeb.AcquireTokenForClient(Scopes).ExecuteAsync();

    [Benchmark]
    [BenchmarkCategory(VersusIdWeb)]
    public Task<AuthenticationResult> IdWeb_adapter_refresh_reads_table() => _idWebRefreshing.AcquireTokenForClient(Scopes).ExecuteAsync();

    [Benchmark]
    [BenchmarkCategory(VersusIdWeb)]
    public ValueTask<TokenResult> Core_vs_idweb() => _core.AcquireTokenForClientAsync(Scopes, null, CancellationToken.None);

    /// <summary>The core's warm hit, for the smoke checks.</summary>
    internal ValueTask<TokenResult> CoreWarmHit() => Core_vs_msal();

    private IConfidentialClientApplication NewMsal()
    {
        var http = _rig.Contenders.NewMsalHttpClientFactory();
        _disposables.Add(http);
        return _rig.Contenders.NewMsalApplication(http);
    }

    private IConfidentialClientApplication NewIdWeb(bool supportsSlidingExpiration)
    {
        var tableHttp = _rig.Contenders.NewTableHttpClient(IdWebTraffic);
        _disposables.Add(tableHttp);
        var cache = new TableDistributedCache(_rig.Contenders.NewTableClient(Contenders.NewTableName(), tableHttp), TimeProvider.System, supportsSlidingExpiration);
        var application = NewMsal();
        Contenders.AttachIdWebAdapter(application, cache);
        return application;
    }

    private static async Task<bool> FromCacheAsync(IConfidentialClientApplication application) =>
        (await application.AcquireTokenForClient(Scopes).ExecuteAsync()).AuthenticationResultMetadata.TokenSource == Microsoft.Identity.Client.TokenSource.Cache;

    /// <summary>Gets the token from Entra once, then checks the next request is a cache hit.</summary>
    private static async Task WarmAsync(Func<Task<bool>> acquireFromCache)
    {
        await acquireFromCache(); // The first one fills the cache from Entra.
        if (!await acquireFromCache())
        {
            throw new InvalidOperationException("The second request for the same token was not served from the cache.");
        }
    }
}
