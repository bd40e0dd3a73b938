using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using TokenFunctions.Benchmarks.Rig;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tokens;

namespace TokenFunctions.Benchmarks;

/// <summary>
/// (c) once more, as a real cold start: a new OS process per run (runtime start, assembly loading,
/// JIT, no MSAL state from earlier requests in the process), asking for one token that is already
/// in its Table. The parent process owns Azurite and the fake Entra ID and counts what reaches
/// them; the child only builds its contender over the same settings and routing and reports.
/// This is what shows whether a new process needs Entra at all (instance discovery included),
/// which the in-process benchmark cannot: MSAL keeps discovery results per process.
/// </summary>
internal static class FreshProcessColdStart
{
    public const string ChildArgument = "--fresh-process-child";
    public const string Core = "core";
    public const string IdWeb = "idweb";

    /// <summary>The adapter composed in a container with the core's logging (context, not the baseline).</summary>
    public const string IdWebInContainer = "idweb-container";

    private const string EntraPortVariable = "TOKENFUNCTIONS_BENCH_ENTRA_PORT";

    /// <summary>When set, the child writes the names of the assemblies it loaded to {contender}-{build}-assemblies.txt in this folder (for a profile).</summary>
    private const string AssemblyListVariable = "TOKENFUNCTIONS_BENCH_ASSEMBLY_LIST";

    /// <summary>
    /// When set, the child writes the methods it JIT-compiled to {contender}-{build}-jit.txt in this
    /// folder (for a profile; the listener's own share is in that child's counts).
    /// </summary>
    private const string JitListVariable = "TOKENFUNCTIONS_BENCH_JIT_LIST";

    /// <summary>Which build a child runs from, for the names of its lists.</summary>
    private const string BuildVariable = "TOKENFUNCTIONS_BENCH_BUILD";
    private static readonly string[] Scopes = [Contenders.Scope];
    private static readonly string[] SettingPrefixes = ["AzureWebJobsStorage", "TokenCache__", "Http__", "Clients__"];

    public sealed record Run(
        string Contender, string Build, string TokenSource, OperationCounts Counts, double MillisecondsSinceProcessStart, double MillisecondsInContender, ProcessCosts Costs);

    /// <summary>
    /// What the child process had done by its first token, deterministic where times are not: the
    /// assemblies it had loaded, the methods it had JIT-compiled (ReadyToRun code needs none), and
    /// the bytes it had allocated (from process start: the runtime's and the host's share included).
    /// </summary>
    public sealed record ProcessCosts(int Assemblies, long MethodsJitted, long AllocatedBytes, bool MsalLoaded);

    /// <summary>The build the children run from: the published ReadyToRun program, and the JIT build this process runs.</summary>
    public const string ReadyToRun = "ReadyToRun";

    public const string Jit = "JIT";

    /// <summary>
    /// Puts a token in a table for each contender, publishes the ReadyToRun build, then starts
    /// <paramref name="runs"/> processes of each contender from each build, alternating.
    /// </summary>
    public static async Task<IReadOnlyList<Run>> CompareAsync(BenchmarkRig rig, int runs)
    {
        var coreTable = Contenders.NewTableName();
        var idWebTable = Contenders.NewTableName();
        await SeedAsync(rig.Contenders, coreTable, idWebTable);
        var published = await ReadyToRunBuild.PublishAsync();

        var results = new List<Run>();
        for (var i = 0; i < runs; i++)
        {
            foreach (var (build, program) in new[] { (ReadyToRun, published), (Jit, (string?)null) })
            {
                results.Add(await StartChildAsync(rig, build, program, Core, coreTable));
                results.Add(await StartChildAsync(rig, build, program, IdWeb, idWebTable));
                results.Add(await StartChildAsync(rig, build, program, IdWebInContainer, idWebTable));
            }
        }

        return results;
    }

    public static string Table(IReadOnlyList<Run> runs)
    {
        var lines = new List<string>
        {
            "| Contender | Build | Runs | Time to first token from process start, median (min–max) | In the contender, median | Assemblies loaded | Methods JIT-compiled | Allocated | MSAL loaded | Entra token calls | Other Entra calls | Table reads | Table writes | Token source |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|",
        };
        foreach (var group in runs.GroupBy(r => (r.Build, r.Contender)))
        {
            var sinceStart = group.Select(r => r.MillisecondsSinceProcessStart).Order().ToList();
            var inContender = group.Select(r => r.MillisecondsInContender).Order().ToList();
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {group.Key.Contender} | {group.Key.Build} | {sinceStart.Count} | {Median(sinceStart):0} ms ({sinceStart[0]:0}–{sinceStart[^1]:0}) | {Median(inContender):0.0} ms | {Median(group.Select(r => (double)r.Costs.Assemblies).Order().ToList()):0} | {Median(group.Select(r => (double)r.Costs.MethodsJitted).Order().ToList()):0} | {Median(group.Select(r => r.Costs.AllocatedBytes / 1024.0).Order().ToList()):0} KB | {string.Join("/", group.Select(r => r.Costs.MsalLoaded ? "yes" : "no").Distinct())} | {Distinct(group, c => c.EntraTokenCalls)} | {Distinct(group, c => c.EntraOtherCalls)} | {Distinct(group, c => c.TableReads)} | {Distinct(group, c => c.TableWrites)} | {string.Join("/", group.Select(r => r.TokenSource).Distinct())} |"));
        }

        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>The child: build one contender from the environment, get the token once, report.</summary>
    public static async Task<int> RunChildAsync(string contender, string table)
    {
        using var jitted = Environment.GetEnvironmentVariable(JitListVariable) is { Length: > 0 } ? new JittedMethodLog() : null;
        var settings = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .Select(e => (Name: (string)e.Key, Value: (string?)e.Value))
            .Where(e => SettingPrefixes.Any(p => e.Name.StartsWith(p, StringComparison.Ordinal)))
            .ToDictionary(e => e.Name, e => e.Value);
        var port = int.Parse(Environment.GetEnvironmentVariable(EntraPortVariable)!, CultureInfo.InvariantCulture);
        var contenders = new Contenders(settings, new LoopbackRouting().Map(FakeEntraId.GlobalHost, port));
        var traffic = new TableTraffic();

        var clock = Stopwatch.StartNew();
        if (contender == Core)
        {
            await CoreChildAsync(contenders, table, traffic, clock);
        }
        else if (contender == IdWebInContainer)
        {
            await IdWebInContainerChildAsync(contenders, table, traffic, clock);
        }
        else
        {
            await IdWebChildAsync(contenders, table, traffic, clock);
        }

        if (jitted is not null)
        {
            await File.WriteAllLinesAsync(ListPath(JitListVariable, contender, "jit"), await jitted.FlushAsync());
        }

        return 0;
    }

    // Each contender's code in its own method: a method that names both would load both contenders'
    // assemblies in either child (an async method's state machine holds the awaiters of every branch).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task CoreChildAsync(Contenders contenders, string table, TableTraffic traffic, Stopwatch clock)
    {
        await using var instance = contenders.StartCore(table, traffic);
        var result = await Contenders.ClientOf(instance).AcquireTokenForClientAsync(Scopes, null, CancellationToken.None);
        Report(Core, result.Token?.Source.ToString() ?? result.Error!.Error, traffic, clock.Elapsed);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task IdWebChildAsync(Contenders contenders, string table, TableTraffic traffic, Stopwatch clock)
    {
        using var msalHttp = contenders.NewMsalHttpClientFactory();
        using var tableHttp = contenders.NewTableHttpClient(traffic);
        var application = contenders.NewMsalApplication(msalHttp);
        Contenders.AttachIdWebAdapter(application, new TableDistributedCache(contenders.NewTableClient(table, tableHttp), TimeProvider.System, false));
        var result = await application.AcquireTokenForClient(Scopes).ExecuteAsync();
        Report(IdWeb, result.AuthenticationResultMetadata.TokenSource.ToString(), traffic, clock.Elapsed);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task IdWebInContainerChildAsync(Contenders contenders, string table, TableTraffic traffic, Stopwatch clock)
    {
        using var msalHttp = contenders.NewMsalHttpClientFactory();
        var (services, application) = contenders.NewIdWebAdapterInContainer(table, traffic, msalHttp);
        await using (services)
        {
            var result = await application.AcquireTokenForClient(Scopes).ExecuteAsync();
            Report(IdWebInContainer, result.AuthenticationResultMetadata.TokenSource.ToString(), traffic, clock.Elapsed);
        }
    }

    // Named by kind as well, so that both lists can go to one folder.
    private static string ListPath(string folderVariable, string contender, string kind) =>
        Path.Combine(Environment.GetEnvironmentVariable(folderVariable)!, $"{contender}-{Environment.GetEnvironmentVariable(BuildVariable)}-{kind}.txt");

    private static void Report(string contender, string source, TableTraffic traffic, TimeSpan inContender)
    {
        var sinceStart = DateTime.Now - Process.GetCurrentProcess().StartTime;
        var assemblies = AppDomain.CurrentDomain.GetAssemblies();
        if (Environment.GetEnvironmentVariable(AssemblyListVariable) is { Length: > 0 })
        {
            File.WriteAllLines(ListPath(AssemblyListVariable, contender, "assemblies"), assemblies.Select(a => a.GetName().Name ?? "?").Order(StringComparer.Ordinal));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"probe {source} {traffic.Reads} {traffic.Writes} {sinceStart.TotalMilliseconds:0.###} {inContender.TotalMilliseconds:0.###} {assemblies.Length} {System.Runtime.JitInfo.GetCompiledMethodCount()} {GC.GetTotalAllocatedBytes(precise: true)} {(assemblies.Any(a => a.GetName().Name == "Microsoft.Identity.Client") ? 1 : 0)}"));
    }

    private static async Task SeedAsync(Contenders contenders, string coreTable, string idWebTable)
    {
        await using (var earlier = contenders.StartCore(coreTable, new TableTraffic()))
        {
            var seeded = await Contenders.ClientOf(earlier).AcquireTokenForClientAsync(Scopes, null, CancellationToken.None);
            if (!seeded.Succeeded)
            {
                throw new InvalidOperationException($"Seeding the core's Table failed: {seeded.Error}");
            }
        }

        using var msalHttp = contenders.NewMsalHttpClientFactory();
        using var tableHttp = contenders.NewTableHttpClient(new TableTraffic());
        var application = contenders.NewMsalApplication(msalHttp);
        Contenders.AttachIdWebAdapter(application, new TableDistributedCache(contenders.NewTableClient(idWebTable, tableHttp), TimeProvider.System, false));
        await application.AcquireTokenForClient(Scopes).ExecuteAsync();
    }

    /// <param name="program">The published apphost to start; null: this program, as this process runs it.</param>
    private static async Task<Run> StartChildAsync(BenchmarkRig rig, string build, string? program, string contender, string table)
    {
        var start = new ProcessStartInfo(program ?? Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (program is null && Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(FreshProcessColdStart).Assembly.Location);
        }

        start.ArgumentList.Add(ChildArgument);
        start.ArgumentList.Add(contender);
        start.ArgumentList.Add(table);
        foreach (var (name, value) in rig.Contenders.Settings)
        {
            start.Environment[name] = value;
        }

        start.Environment[EntraPortVariable] = rig.Entra.Port.ToString(CultureInfo.InvariantCulture);
        start.Environment[BuildVariable] = build;

        var before = rig.Counts(new TableTraffic());
        using var process = Process.Start(start) ?? throw new InvalidOperationException("The child process did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await process.WaitForExitAsync(timeout.Token);
        }

        var line = (await output).Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("probe ", StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"The {contender} child process failed ({process.ExitCode}):\n{await output}\n{await errors}");
        }

        var fields = line.Split(' ');
        return new Run(
            contender,
            build,
            fields[1],
            (rig.Counts(new TableTraffic()) - before) with
            {
                TableReads = int.Parse(fields[2], CultureInfo.InvariantCulture),
                TableWrites = int.Parse(fields[3], CultureInfo.InvariantCulture),
            },
            double.Parse(fields[4], CultureInfo.InvariantCulture),
            double.Parse(fields[5], CultureInfo.InvariantCulture),
            new ProcessCosts(
                int.Parse(fields[6], CultureInfo.InvariantCulture),
                long.Parse(fields[7], CultureInfo.InvariantCulture),
                long.Parse(fields[8], CultureInfo.InvariantCulture),
                fields[9] == "1"));
    }

    private static double Median(IReadOnlyList<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;

    private static string Distinct(IEnumerable<Run> runs, Func<OperationCounts, int> select) =>
        string.Join("/", runs.Select(r => select(r.Counts)).Distinct().Order());
}
