using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using Microsoft.Identity.Client;
using TokenFunctions.Benchmarks.Rig;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using TokenFunctions.Tokens;

namespace TokenFunctions.Benchmarks;

/// <summary>
/// (e) The regional endpoint is black-holed — <c>westus2.login.microsoft.com</c> accepts the
/// connection and the token request and never answers (the fake Entra ID's <c>BeforeAnswer</c>
/// hook waits until the client gives up); the global endpoint answers as usual — and a cold
/// instance asks for a token that is in no cache. Measured: that first request, from the call
/// until it returns (token, error, or cut off), on a new instance built (and its table created)
/// before the measurement.
/// <list type="bullet">
/// <item>Core: <c>AzureRegion=westus2</c>, every <c>Http__</c> timeout at its default (regional attempt
/// 2 s, global attempt 5 s, request budget 10 s), real <see cref="TimeProvider"/>.</item>
/// <item>MSAL.NET: <c>WithAzureRegion("westus2")</c> over the same routing, HttpClient's default
/// timeout (100 s). It would wait 100 s, retry and wait again; the measurement is cut off by
/// cancelling the request after <see cref="Bound"/>.</item>
/// <item>MSAL.NET with its HttpClient's timeout set to the core's regional attempt timeout (2 s):
/// the best a team could do by configuration alone, to show what MSAL does when the regional
/// request times out.</item>
/// <item>Reference: the core's same cold request with no region, the "one global round trip" of the
/// target (attempt timeout + one global round trip).</item>
/// </list>
/// Every contender's call gets the same <see cref="Bound"/>; the core's budget ends earlier.
/// </summary>
[Config(typeof(RegionalOutageConfig))]
public class RegionalOutageBenchmarks
{
    public const string Category = "(e) Cold request, regional endpoint black-holed";

    /// <summary>Where the measurement of one operation is cut off (a cancellation passed to the call).</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    /// <summary>The tuned MSAL.NET contender's HttpClient timeout: the core's default regional attempt timeout.</summary>
    public static readonly TimeSpan TunedMsalTimeout = TimeSpan.FromSeconds(2);

    private static readonly string[] Scopes = [Contenders.Scope];
    private static readonly TimeSpan DefaultRegionalAttemptTimeout = new Authorities.EntraHttpOptions().RegionalAttemptTimeout;

    private BenchmarkRig _rig = null!;
    private TableTraffic _traffic = new();
    private OperationCounts _before;
    private (int Regional, int Global) _tokenCallsBefore;
    private (OutcomeKind Kind, string Detail, TimeSpan Elapsed) _outcome;

    private AppProcess? _coreInstance;
    private ConfidentialClient? _core;
    private RoutedMsalHttpClientFactory? _msalHttp;
    private IConfidentialClientApplication? _application;

    [GlobalSetup]
    public async Task SetUpAsync()
    {
        _rig = await BenchmarkRig.SharedAsync();
        _rig.Entra.BeforeAnswer = BlackHoleAsync;
    }

    [GlobalCleanup]
    public void CleanUp()
    {
        _rig.Entra.BeforeAnswer = null;
        OperationLog.Flush();
        OutcomeLog.Flush();
    }

    [IterationSetup(Target = nameof(Msal_regional))]
    public void BeginMsalIteration()
    {
        _traffic = new TableTraffic(); // MSAL alone has no Table.
        _msalHttp = _rig.Contenders.NewMsalHttpClientFactory();
        _application = _rig.Contenders.NewMsalApplication(_msalHttp, BenchmarkRig.Region);
        Begin();
    }

    [IterationSetup(Target = nameof(Msal_regional_2s_timeout))]
    public void BeginTunedMsalIteration()
    {
        _traffic = new TableTraffic();
        _msalHttp = _rig.Contenders.NewMsalHttpClientFactory(TunedMsalTimeout);
        _application = _rig.Contenders.NewMsalApplication(_msalHttp, BenchmarkRig.Region);
        Begin();
    }

    [IterationSetup(Target = nameof(Core))]
    public void BeginCoreIteration() => BeginCore(BenchmarkRig.Region);

    [IterationSetup(Target = nameof(Core_global_only))]
    public void BeginGlobalCoreIteration() => BeginCore(azureRegion: null);

    /// <summary>MSAL.NET, <c>WithAzureRegion("westus2")</c>, HttpClient's default 100 s timeout; cut off after <see cref="Bound"/>.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Category)]
    public Task Msal_regional() => MsalRequestAsync();

    /// <summary>MSAL.NET, <c>WithAzureRegion("westus2")</c>, its HttpClient's timeout set to 2 s.</summary>
    [Benchmark]
    [BenchmarkCategory(Category)]
    public Task Msal_regional_2s_timeout() => MsalRequestAsync();

    /// <summary>The core, <c>AzureRegion=westus2</c>, default timeouts.</summary>
    [Benchmark]
    [BenchmarkCategory(Category)]
    public Task Core() => CoreRequestAsync();

    /// <summary>
    /// Reference: the same cold request by the core with no <c>AzureRegion</c>, straight to the
    /// global endpoint — the "one global round trip" of the target (token request, Table read and write).
    /// </summary>
    [Benchmark]
    [BenchmarkCategory(Category)]
    public Task Core_global_only() => CoreRequestAsync();

    private async Task CoreRequestAsync()
    {
        using var bound = new CancellationTokenSource(Bound);
        var clock = Stopwatch.StartNew();
        try
        {
            var result = await _core!.AcquireTokenForClientAsync(Scopes, null, bound.Token);
            _outcome = result.Succeeded
                ? (OutcomeKind.Token, "from " + result.Token.Source, clock.Elapsed)
                : (OutcomeKind.Error, $"{result.Error.Kind}: {result.Error.Error}", clock.Elapsed);
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested)
        {
            _outcome = (OutcomeKind.Bounded, BoundedDetail, clock.Elapsed);
        }
    }

    [IterationCleanup(Target = nameof(Msal_regional))]
    public void EndMsalIteration() => EndMsal(nameof(Msal_regional));

    [IterationCleanup(Target = nameof(Msal_regional_2s_timeout))]
    public void EndTunedMsalIteration() => EndMsal(nameof(Msal_regional_2s_timeout));

    [IterationCleanup(Target = nameof(Core))]
    public void EndCoreIteration() => EndCore(nameof(Core));

    [IterationCleanup(Target = nameof(Core_global_only))]
    public void EndGlobalCoreIteration() => EndCore(nameof(Core_global_only));

    /// <summary>The ops of each contender as recorded by this run: outcome, time, where the token requests went.</summary>
    internal static string Table()
    {
        var rows = new (string Method, string Contender, string Timeout)[]
        {
            (nameof(Core), $"core, AzureRegion={BenchmarkRig.Region}, default timeouts", "regional attempt 2 s, then global (attempt 5 s, budget 10 s)"),
            (nameof(Core_global_only), "reference: core, no AzureRegion (global only)", "global attempt 5 s, budget 10 s"),
            (nameof(Msal_regional), $"MSAL.NET, WithAzureRegion(\"{BenchmarkRig.Region}\")", "HttpClient default, 100 s"),
            (nameof(Msal_regional_2s_timeout), $"MSAL.NET, WithAzureRegion(\"{BenchmarkRig.Region}\")", "HttpClient.Timeout = 2 s"),
        };
        var baseline = Read(nameof(Msal_regional));
        var lines = new List<string>
        {
            $"Bound on every call: {Bound.TotalSeconds:0} s (a cancellation passed to it). Time: every operation, warm-up included.",
            "| Contender | Timeout | Ops | Outcome | Time per op, median (min–max) | Ratio to MSAL.NET (median) | Regional token requests/op | Global token requests/op |",
            "|---|---|---:|---|---:|---:|---:|---:|",
        };
        foreach (var (method, contender, timeout) in rows)
        {
            var outcomes = Read(method);
            if (outcomes.Count == 0)
            {
                continue;
            }

            var times = outcomes.Select(o => o.Milliseconds).Order().ToList();
            var bounded = outcomes.All(o => o.Kind == OutcomeKind.Bounded);
            var median = Median(times);
            var time = bounded
                ? $"> {Bound.TotalSeconds:0} s (did not complete; cut off at {Seconds(times[0])}–{Seconds(times[^1])})"
                : $"{Seconds(median)} ({Seconds(times[0])}–{Seconds(times[^1])})";
            var ratio = baseline.Count == 0 ? "-"
                : method == nameof(Msal_regional) ? "1 (a lower bound)"
                : baseline.All(o => o.Kind == OutcomeKind.Bounded)
                    ? string.Create(CultureInfo.InvariantCulture, $"< {median / Median(baseline.Select(o => o.Milliseconds).Order().ToList()):0.000}")
                    : string.Create(CultureInfo.InvariantCulture, $"{median / Median(baseline.Select(o => o.Milliseconds).Order().ToList()):0.000}");
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {contender} | {timeout} | {outcomes.Count} | {Describe(outcomes)} | {time} | {ratio} | {Distinct(outcomes.Select(o => o.RegionalTokenCalls))} | {Distinct(outcomes.Select(o => o.GlobalTokenCalls))} |"));
        }

        var core = Read(nameof(Core));
        var reference = Read(nameof(Core_global_only));
        if (core.Count > 0 && reference.Count > 0)
        {
            var beyond = Median(core.Select(o => o.Milliseconds).Order().ToList()) - DefaultRegionalAttemptTimeout.TotalMilliseconds;
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"Core, region black-holed: {beyond:0} ms beyond the {DefaultRegionalAttemptTimeout.TotalSeconds:0} s regional attempt timeout (median); one cold global round trip (reference, median): {Median(reference.Select(o => o.Milliseconds).Order().ToList()):0} ms."));
        }

        return string.Join(Environment.NewLine, lines);
    }

    internal static IReadOnlyList<Outcome> Read(string method) => OutcomeLog.Read(OperationLog.Key(typeof(RegionalOutageBenchmarks), method));

    private static string BoundedDetail => string.Create(CultureInfo.InvariantCulture, $"no answer within {Bound.TotalSeconds:0} s; cancelled");

    private static async Task BlackHoleAsync(ReceivedTokenRequest request, CancellationToken aborted)
    {
        if (request.Host.Equals(BenchmarkRig.RegionalHost, StringComparison.OrdinalIgnoreCase))
        {
            await Task.Delay(Timeout.Infinite, aborted); // ends only when the client gives up on the request
        }
    }

    private async Task MsalRequestAsync()
    {
        using var bound = new CancellationTokenSource(Bound);
        var clock = Stopwatch.StartNew();
        try
        {
            var result = await _application!.AcquireTokenForClient(Scopes).ExecuteAsync(bound.Token);
            _outcome = (OutcomeKind.Token, "from " + result.AuthenticationResultMetadata.TokenSource, clock.Elapsed);
        }
        catch (Exception) when (bound.IsCancellationRequested)
        {
            _outcome = (OutcomeKind.Bounded, BoundedDetail, clock.Elapsed);
        }
        catch (MsalException ex)
        {
            _outcome = (OutcomeKind.Error, $"{ex.GetType().Name} {ex.ErrorCode}", clock.Elapsed);
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
        {
            _outcome = (OutcomeKind.Error, ex.GetType().Name + (ex.InnerException is { } inner ? " / " + inner.GetType().Name : ""), clock.Elapsed);
        }
    }

    private void BeginCore(string? azureRegion)
    {
        var table = Contenders.NewTableName();
        _rig.Contenders.CreateTableAsync(table).GetAwaiter().GetResult();
        _coreInstance = _rig.Contenders.StartCore(table, _traffic = new TableTraffic(), azureRegion);
        _core = Contenders.ClientOf(_coreInstance);
        Begin();
    }

    private void EndCore(string benchmark)
    {
        End(benchmark);
        _coreInstance?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (_outcome.Kind != OutcomeKind.Token)
        {
            throw new InvalidOperationException($"{benchmark}: the core's cold request got no token: {_outcome.Detail}");
        }
    }

    private void Begin()
    {
        _outcome = default;
        _before = Counts();
        _tokenCallsBefore = TokenCallsByHost();
    }

    private void End(string benchmark)
    {
        var (regional, global) = TokenCallsByHost();
        var key = OperationLog.Key(typeof(RegionalOutageBenchmarks), benchmark);
        OperationLog.Record(key, Counts() - _before);
        OutcomeLog.Record(key, new Outcome(
            _outcome.Kind, _outcome.Detail ?? "not run", _outcome.Elapsed.TotalMilliseconds, regional - _tokenCallsBefore.Regional, global - _tokenCallsBefore.Global));
    }

    private void EndMsal(string benchmark)
    {
        End(benchmark);
        _msalHttp?.Dispose();
    }

    private (int Regional, int Global) TokenCallsByHost() =>
        (_rig.Entra.TokenCalls(host: BenchmarkRig.RegionalHost), _rig.Entra.TokenCalls(host: FakeEntraId.GlobalHost));

    private OperationCounts Counts() => _rig.Counts(_traffic);

    private static string Describe(IReadOnlyList<Outcome> outcomes) => string.Join("; ", outcomes
        .GroupBy(o => (o.Kind, o.Detail))
        .Select(g => $"{(g.Key.Kind == OutcomeKind.Token ? "token" : g.Key.Kind == OutcomeKind.Error ? "error" : "no token")} ({g.Key.Detail}), {g.Count()} of {outcomes.Count}"));

    private static string Distinct(IEnumerable<int> values) => string.Join("/", values.Distinct().Order());

    private static string Seconds(double milliseconds) => string.Create(CultureInfo.InvariantCulture, $"{milliseconds / 1000:0.00} s");

    private static double Median(IReadOnlyList<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}
