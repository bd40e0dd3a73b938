using BenchmarkDotNet.Running;
using TokenFunctions.Benchmarks.Rig;

namespace TokenFunctions.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project FunctionApp.Benchmarks</c> runs every scenario in one
/// BenchmarkDotNet run (arguments, e.g. <c>--filter *Herd*</c>, go to BenchmarkDotNet);
/// <c>-- --smoke</c> runs each once in this process and checks the invariants, for CI.
/// </summary>
public static class Program
{
    private const int FreshProcessRuns = 10;

    internal static readonly Type[] Benchmarks = [typeof(WarmHitBenchmarks), typeof(ColdStartBenchmarks), typeof(HerdBenchmarks), typeof(RegionalOutageBenchmarks), typeof(MissBenchmarks), typeof(KeyVaultSigningBenchmarks)];

    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is [FreshProcessColdStart.ChildArgument, var contender, var table])
        {
            return await FreshProcessColdStart.RunChildAsync(contender, table);
        }

        if (args is ["--fresh-process", ..] rest)
        {
            // The fresh-process cold start alone, without BenchmarkDotNet (optionally: how many runs).
            var runs = rest.Length > 1 ? int.Parse(rest[1], System.Globalization.CultureInfo.InvariantCulture) : FreshProcessRuns;
            Console.WriteLine(FreshProcessColdStart.Table(await FreshProcessColdStart.CompareAsync(await BenchmarkRig.SharedAsync(), runs)));
            BenchmarkRig.StopShared();
            return 0;
        }

        if (args is ["--cold-start-phases", ..] phaseArgs)
        {
            // Where a new core instance's bytes go, phase by phase (the profile behind (c)).
            var instances = phaseArgs.Length > 1 ? int.Parse(phaseArgs[1], System.Globalization.CultureInfo.InvariantCulture) : 200;
            Console.WriteLine(await ColdStartPhases.RunAsync(await BenchmarkRig.SharedAsync(), instances));
            BenchmarkRig.StopShared();
            return 0;
        }

        if (args.Contains("--smoke"))
        {
            return await SmokeRun.RunAsync();
        }

        OperationLog.Clear();
        var summaries = BenchmarkSwitcher.FromTypes(Benchmarks)
            .Run(args.Length == 0 ? ["--filter", "*"] : args, BenchmarkConfig.Create(smoke: false))
            .ToList();

        // (e) in detail: how each operation ended and which hosts its token requests went to.
        if (RegionalOutageBenchmarks.Read(nameof(RegionalOutageBenchmarks.Core)).Count + RegionalOutageBenchmarks.Read(nameof(RegionalOutageBenchmarks.Msal_regional)).Count > 0)
        {
            Console.WriteLine("// * Cold request, regional endpoint black-holed *");
            Console.WriteLine(RegionalOutageBenchmarks.Table());
        }

        // (c) again in new OS processes, which BenchmarkDotNet's in-process iterations cannot show.
        var rig = await BenchmarkRig.SharedAsync();
        Console.WriteLine("// * Cold start in fresh processes *");
        Console.WriteLine(FreshProcessColdStart.Table(await FreshProcessColdStart.CompareAsync(rig, FreshProcessRuns)));
        BenchmarkRig.StopShared();
        return summaries.Count > 0 && summaries.All(s => !s.HasCriticalValidationErrors && s.Reports.All(r => r.Success)) ? 0 : 1;
    }
}
