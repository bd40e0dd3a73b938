using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using TokenFunctions.Benchmarks.Rig;

namespace TokenFunctions.Benchmarks;

/// <summary>
/// One configuration for the whole run: every scenario in one joined summary, a baseline per
/// category (the ratio column compares within a category), allocations, and the call counts.
/// Each benchmark class names its own job; the smoke run turns them all into one dry, in-process pass.
/// </summary>
internal static class BenchmarkConfig
{
    public static IConfig Create(bool smoke)
    {
        var config = DefaultConfig.Instance
            .AddColumn(CategoriesColumn.Default, CallCountColumn.EntraTokenCalls, CallCountColumn.EntraOtherCalls, CallCountColumn.TableReads, CallCountColumn.TableWrites)
            .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory)
            .WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared))
            .WithOptions(ConfigOptions.JoinSummary)
            .WithArtifactsPath(OperationLog.ArtifactsPath);

        if (!smoke)
        {
            // Not in the smoke run: the memory diagnoser runs one more operation of every benchmark
            // (with its iteration setup and cleanup), and some operations take seconds. The smoke run
            // measures the one allocation it checks, the core's warm hit, itself.
            config = config.AddDiagnoser(MemoryDiagnoser.Default);
        }
        else
        {
            // Every job of every class, run once, in this process: enough to prove each scenario
            // still runs and to collect its counts, in seconds rather than minutes.
            config = config
                .AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance).AsMutator())
                .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        }

        return config;
    }
}

/// <summary>ShortRun for the warm hits (steady state, nanoseconds to microseconds per operation).</summary>
internal sealed class WarmHitConfig : ManualConfig
{
    public WarmHitConfig() => AddJob(Job.ShortRun.WithId("ShortRun"));
}

/// <summary>
/// One cold start per iteration (a new instance is built in the operation and disposed after it):
/// a few warm-up iterations, then enough measured ones for a mean.
/// </summary>
internal sealed class ColdStartConfig : ManualConfig
{
    public ColdStartConfig() => AddJob(Job.Default
        .WithLaunchCount(1).WithWarmupCount(5).WithIterationCount(100)
        .WithInvocationCount(1).WithUnrollFactor(1)
        .WithId("Cold"));
}

/// <summary>
/// One cold request per iteration, seconds long (the baseline is cut off at 15 s): the monitoring
/// strategy (no jitting or overhead iterations, which would each cost a whole operation), one warm-up.
/// </summary>
internal sealed class RegionalOutageConfig : ManualConfig
{
    public RegionalOutageConfig() => AddJob(Job.Default
        .WithStrategy(RunStrategy.Monitoring)
        .WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3)
        .WithInvocationCount(1).WithUnrollFactor(1)
        .WithId("Outage"));
}

/// <summary>One herd of 1,000 callers per iteration; the counts are the point, so few iterations.</summary>
internal sealed class HerdConfig : ManualConfig
{
    public HerdConfig() => AddJob(Job.Default
        .WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3)
        .WithInvocationCount(1).WithUnrollFactor(1)
        .WithId("Herd"));
}
