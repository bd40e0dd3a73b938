using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using TokenFunctions.Benchmarks.Rig;

namespace TokenFunctions.Benchmarks;

/// <summary>
/// The CI pass: every benchmark once, in this process (BenchmarkDotNet's dry job with the
/// in-process toolchain), then the invariants the benchmarks exist to show. Timings are not
/// checked (too noisy for CI); counts and allocations are. Exits non-zero when any check fails.
/// </summary>
internal static class SmokeRun
{
    private const int WarmHits = 10_000;

    public static async Task<int> RunAsync()
    {
        var clock = Stopwatch.StartNew();
        OperationLog.Clear();
        var checks = new List<Check>();
        try
        {
            var summaries = BenchmarkRunner.Run(Program.Benchmarks, BenchmarkConfig.Create(smoke: true));
            var cases = summaries.Sum(s => s.BenchmarksCases.Length);
            var reports = summaries.SelectMany(s => s.Reports).ToList();
            var failed = reports.Where(r => !r.Success).Select(r => r.BenchmarkCase.DisplayInfo).ToList();
            checks.Add(new Check(
                "every benchmark runs",
                !summaries.Any(s => s.HasCriticalValidationErrors) && cases > 0 && reports.Count == cases && failed.Count == 0,
                $"{reports.Count - failed.Count} of {cases} ran" + (failed.Count > 0 ? "; failed: " + string.Join(", ", failed) : "")));

            var cold = OperationLog.Read(OperationLog.Key(typeof(ColdStartBenchmarks), nameof(ColdStartBenchmarks.Core)));
            checks.Add(new Check("core cold start calls Entra 0 times", cold.Count > 0 && cold.All(c => c.EntraCalls == 0), Describe(cold)));
            checks.Add(new Check("core cold start reads the Table once and writes nothing", cold.Count > 0 && cold.All(c => c.TableReads == 1 && c.TableWrites == 0), Describe(cold)));

            foreach (var (benchmark, what) in new[]
            {
                (nameof(MissBenchmarks.Core_empty_table), "a miss with nothing in the Table"),
                (nameof(MissBenchmarks.Core_due_token), "a due token"),
            })
            {
                var miss = OperationLog.Read(OperationLog.Key(typeof(MissBenchmarks), benchmark));
                checks.Add(new Check(
                    $"core: {what} costs at most 1 Table read and 1 write, and 1 Entra token request",
                    miss.Count > 0 && miss.All(c => c.TableReads <= 1 && c.TableWrites <= 1 && c.EntraTokenCalls == 1),
                    Describe(miss)));
            }

            var herd = OperationLog.Read(OperationLog.Key(typeof(HerdBenchmarks), nameof(HerdBenchmarks.Core)));
            checks.Add(new Check($"core herd of {HerdBenchmarks.Callers} sends exactly 1 token request to Entra", herd.Count > 0 && herd.All(c => c.EntraTokenCalls == 1), Describe(herd)));

            var outage = RegionalOutageBenchmarks.Read(nameof(RegionalOutageBenchmarks.Core));
            Console.WriteLine("// smoke: cold request, regional endpoint black-holed:");
            Console.WriteLine(RegionalOutageBenchmarks.Table());
            checks.Add(new Check(
                $"core cold request with {BenchmarkRig.RegionalHost} black-holed gets a token from Entra via the global endpoint",
                outage.Count > 0 && outage.All(o => o.Kind == OutcomeKind.Token && o.GlobalTokenCalls == 1),
                DescribeOutcomes(outage)));
            checks.Add(new Check(
                $"core cold request with the region black-holed tried {BenchmarkRig.RegionalHost} first, once",
                outage.Count > 0 && outage.All(o => o.RegionalTokenCalls == 1),
                DescribeOutcomes(outage)));

            var signing = KeyVaultSigningBenchmarks.Read(nameof(KeyVaultSigningBenchmarks.Signed_in_key_vault));
            var downloading = KeyVaultSigningBenchmarks.Read(nameof(KeyVaultSigningBenchmarks.Downloaded_certificate));
            checks.Add(new Check(
                "core cold request signing in Key Vault signs there at least once and reads no secret",
                signing.Count > 0 && signing.All(v => v.Signs >= 1 && v.SecretReads == 0),
                string.Join("; ", signing)));
            checks.Add(new Check(
                "core cold request with a downloaded certificate reads its secret and signs nothing in the vault",
                downloading.Count > 0 && downloading.All(v => v.SecretReads >= 1 && v.Signs == 0),
                string.Join("; ", downloading)));

            checks.AddRange(await WarmHitChecksAsync());

            var fresh = await FreshProcessColdStart.CompareAsync(await BenchmarkRig.SharedAsync(), runs: 2);
            Console.WriteLine(FreshProcessColdStart.Table(fresh));
            var freshCore = fresh.Where(r => r.Contender == FreshProcessColdStart.Core).ToList();
            var readyToRunJitted = freshCore.Where(r => r.Build == FreshProcessColdStart.ReadyToRun).Select(r => r.Costs.MethodsJitted).DefaultIfEmpty(long.MaxValue).Max();
            var jitJitted = freshCore.Where(r => r.Build == FreshProcessColdStart.Jit).Select(r => r.Costs.MethodsJitted).DefaultIfEmpty(0).Min();
            checks.Add(new Check(
                "core cold start in a new process runs the published ReadyToRun build, which JIT-compiles fewer methods than the JIT build",
                readyToRunJitted < jitJitted,
                $"methods JIT-compiled: ReadyToRun at most {readyToRunJitted}, JIT at least {jitJitted}"));
            checks.Add(new Check(
                "core cold start in a new process serves the Table's token without loading MSAL",
                freshCore.Count > 0 && freshCore.All(r => !r.Costs.MsalLoaded),
                string.Join("; ", freshCore.Select(r => $"{r.Build}: MSAL {(r.Costs.MsalLoaded ? "loaded" : "not loaded")}"))));
            checks.Add(new Check(
                "core cold start in a new process: token from the cache, 0 Entra calls, 1 Table read, 0 writes",
                freshCore.All(r => r.TokenSource == nameof(Tokens.TokenSource.Cache) && r.Counts == new OperationCounts(0, 0, 1, 0)),
                string.Join("; ", freshCore.Select(r => $"{r.TokenSource}: {r.Counts}"))));

            foreach (var (name, benchmarks, method) in new[]
            {
                ("cold start, Id.Web adapter", typeof(ColdStartBenchmarks), nameof(ColdStartBenchmarks.IdWeb_adapter)),
                ("miss with nothing in the Table, Id.Web adapter", typeof(MissBenchmarks), nameof(MissBenchmarks.IdWeb_adapter_empty_table)),
                ("herd, MSAL.NET", typeof(HerdBenchmarks), nameof(HerdBenchmarks.Msal_in_memory)),
                ("herd, Id.Web adapter", typeof(HerdBenchmarks), nameof(HerdBenchmarks.IdWeb_adapter)),
                ("region black-holed, MSAL.NET", typeof(RegionalOutageBenchmarks), nameof(RegionalOutageBenchmarks.Msal_regional)),
                ("region black-holed, MSAL.NET with a 2 s HttpClient timeout", typeof(RegionalOutageBenchmarks), nameof(RegionalOutageBenchmarks.Msal_regional_2s_timeout)),
            })
            {
                Console.WriteLine($"// smoke: {name}: {Describe(OperationLog.Read(OperationLog.Key(benchmarks, method)))}");
            }
        }
        catch (Exception ex)
        {
            checks.Add(new Check("the smoke run completes", false, ex.ToString()));
        }
        finally
        {
            if (BenchmarkRig.Current is { } rig)
            {
                Console.WriteLine("// smoke: the fake Entra ID received: " + string.Join(", ", rig.Entra.Calls.OrderBy(c => c.Key).Select(c => $"{c.Key} x{c.Value}")));
            }

            BenchmarkRig.StopShared();
        }

        foreach (var check in checks)
        {
            Console.WriteLine($"// smoke: {(check.Passed ? "PASS" : "FAIL")} {check.Name} ({check.Detail})");
        }

        var failures = checks.Count(c => !c.Passed);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// smoke: finished in {clock.Elapsed.TotalSeconds:0.0} s"));
        Console.WriteLine($"{checks.Count - failures} passed, {failures} failed");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>The core's warm hit: synchronous, no allocation beyond 1 KB, no Table or Entra call.</summary>
    private static async Task<IEnumerable<Check>> WarmHitChecksAsync()
    {
        var benchmarks = new WarmHitBenchmarks();
        await benchmarks.SetUpAsync();
        try
        {
            var before = benchmarks.CoreCounts;
            var synchronous = 0;
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < WarmHits; i++)
            {
                var hit = benchmarks.CoreWarmHit();
                if (hit.IsCompletedSuccessfully && hit.Result.Token?.Source == Tokens.TokenSource.Cache)
                {
                    synchronous++;
                }
            }

            var bytesPerHit = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)WarmHits;
            var counts = benchmarks.CoreCounts - before;
            var calls = counts.EntraCalls + counts.TableReads + counts.TableWrites;
            return
            [
                new Check("core warm hit completes synchronously from the cache", synchronous == WarmHits, $"{synchronous} of {WarmHits}"),
                new Check("core warm hit allocates at most 1 KB", bytesPerHit <= 1024, string.Create(CultureInfo.InvariantCulture, $"{bytesPerHit:0.#} B per hit")),
                new Check("core warm hit makes no Table or Entra call", calls == 0, $"{calls} calls in {WarmHits} hits"),
            ];
        }
        finally
        {
            await benchmarks.CleanUpAsync();
        }
    }

    private static string Describe(IReadOnlyList<OperationCounts> counts) =>
        counts.Count == 0 ? "no operation recorded" : $"{counts.Count} op(s): " + string.Join("; ", counts.Distinct().Select(c => c.ToString()));

    private static string DescribeOutcomes(IReadOnlyList<Outcome> outcomes) =>
        outcomes.Count == 0 ? "no operation recorded" : $"{outcomes.Count} op(s): " + string.Join("; ", outcomes.Select(o => o.ToString()));

    private sealed record Check(string Name, bool Passed, string Detail);
}
