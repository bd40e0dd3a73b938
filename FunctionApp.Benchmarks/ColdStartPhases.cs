using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TokenFunctions.Benchmarks.Rig;
using TokenFunctions.Caching;
using TokenFunctions.Tests.Rig;
using TokenFunctions.Tokens;

namespace TokenFunctions.Benchmarks;

/// <summary>
/// The profile behind (c): a new core instance built phase by phase, as <see cref="AppProcess.Start"/>
/// builds it, with the bytes each phase allocates (exact, counted with no listener attached) and the types the runtime's allocation
/// sampler names in it (about one sample per 100 KB). Not a benchmark: it says where (c)'s bytes go,
/// so that a change can be aimed; BenchmarkDotNet's (c) says whether it helped.
/// </summary>
internal static class ColdStartPhases
{
    private static readonly string[] Scopes = [Contenders.Scope];

    /// <summary>What ConfidentialClients needs from the container, resolved one at a time before it so each shows its own cost.</summary>
    private static readonly Type[] SharedServices =
    [
        typeof(ILoggerFactory), typeof(TimeProvider), typeof(IOptions<TokenCoreOptions>), typeof(Telemetry.TokenTelemetry), typeof(IHttpClientFactory),
        typeof(Azure.Data.Tables.TableServiceClient), typeof(CacheEntryCipher), typeof(TokenCacheTable), typeof(BrokerRecords), typeof(Credentials.CertificateSourceFactory),
        typeof(Credentials.ManagedIdentityAssertionFactory), typeof(MsalApplicationFactory), typeof(EntraThrottle), typeof(Authorities.RegionResolver),
    ];

    public static async Task<string> RunAsync(BenchmarkRig rig, int instances)
    {
        var table = Contenders.NewTableName();
        await using (var earlier = rig.Contenders.StartCore(table, new TableTraffic()))
        {
            await Contenders.ClientOf(earlier).AcquireTokenForClientAsync(Scopes, null, CancellationToken.None);
        }

        // Warm the JIT and the process's one-time state first: what (c) measures is a new instance in a running process.
        for (var i = 0; i < 5; i++)
        {
            await OneInstanceAsync(rig, table, new Phases(null));
        }

        var adapterTable = Contenders.NewTableName();
        await rig.Contenders.CreateTableAsync(adapterTable);
        await OneAdapterAsync(rig, adapterTable, new Phases(null), seeding: true);
        for (var i = 0; i < 5; i++)
        {
            await OneAdapterAsync(rig, adapterTable, new Phases(null));
        }

        // Bytes and times with no listener attached: the sampler's own allocations land in whichever
        // phase is running, and the core's phases, which run more code, would carry more of them. The
        // contenders take turns, instance by instance: Azurite answers faster the longer it has run
        // (and differently from one start to the next), so passes one after the other would favour
        // whichever ran last.
        var phases = new Phases(null);
        var adapter = new Phases(null);
        var inContainer = new Phases(null);
        for (var i = 0; i < instances; i++)
        {
            await OneInstanceAsync(rig, table, phases);
            await OneAdapterAsync(rig, adapterTable, adapter);
            await OneAdapterInContainerAsync(rig, adapterTable, inContainer);
        }

        // The types, in a pass of their own, with the listener gone before anything else is measured.
        string samples;
        using (var sampler = new AllocationSampler())
        {
            var sampled = new Phases(sampler);
            for (var i = 0; i < instances; i++)
            {
                await OneInstanceAsync(rig, table, sampled);
            }

            samples = sampler.Report();
        }

        return "The core:\n" + phases.Report(instances) + "\n" + samples + "\nThe Id.Web adapter (the baseline):\n" + adapter.Report(instances) +
            "\nThe Id.Web adapter in a container (context):\n" + inContainer.Report(instances);
    }

    private static async Task OneAdapterInContainerAsync(BenchmarkRig rig, string table, Phases phases)
    {
        phases.Begin("container: registration, build, the adapter and MSAL application");
        using var msalHttp = rig.Contenders.NewMsalHttpClientFactory();
        var (services, application) = rig.Contenders.NewIdWebAdapterInContainer(table, new TableTraffic(), msalHttp);
        phases.Begin("first token (one Table read)");
        var result = await application.AcquireTokenForClient(Scopes).ExecuteAsync();
        phases.Begin("dispose");
        await services.DisposeAsync();
        phases.End();
        if (result.AuthenticationResultMetadata.TokenSource != Microsoft.Identity.Client.TokenSource.Cache)
        {
            throw new InvalidOperationException("The adapter in a container did not serve the cached token.");
        }
    }

    private static async Task OneAdapterAsync(BenchmarkRig rig, string table, Phases phases, bool seeding = false)
    {
        phases.Begin("MSAL's HttpClient factory, the Table's HttpClient");
        using var msalHttp = rig.Contenders.NewMsalHttpClientFactory();
        using var tableHttp = rig.Contenders.NewTableHttpClient(new TableTraffic());
        phases.Begin("TableClient");
        var tableClient = rig.Contenders.NewTableClient(table, tableHttp);
        phases.Begin("MSAL application and the adapter");
        var application = rig.Contenders.NewMsalApplication(msalHttp);
        Contenders.AttachIdWebAdapter(application, new TableDistributedCache(tableClient, TimeProvider.System, false));
        phases.Begin("first token (one Table read)");
        var result = await application.AcquireTokenForClient(Scopes).ExecuteAsync();
        phases.End();
        if (result.AuthenticationResultMetadata.TokenSource != Microsoft.Identity.Client.TokenSource.Cache && !seeding)
        {
            throw new InvalidOperationException("The adapter did not serve the cached token.");
        }
    }

    private static async Task OneInstanceAsync(BenchmarkRig rig, string table, Phases phases)
    {
        var settings = new Dictionary<string, string?>(rig.Contenders.Settings) { ["TokenCache__TableName"] = table };
        phases.Begin("configuration");
        var configuration = AppProcess.ConfigurationOf(settings);
        phases.Begin("register: AddLogging (the host's)");
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Information).AddProvider(new CapturedLogs()));
        phases.Begin("register: AddTokenBroker");
        services.AddTokenBroker(configuration);
        phases.Begin("register: the rig's routing");
        var journal = new RequestJournal();
        rig.Scenario.Routing.RouteHttpClients(services)
            .ConfigureHttpClientDefaults(http => http.AddHttpMessageHandler(() => new RequestJournal.Handler(journal)));
        services.AddHttpClient(TokenCacheServiceCollectionExtensions.TableHttpClientName).AddHttpMessageHandler(new TableTraffic().CreateHandler);
        phases.Begin("BuildServiceProvider (Production: no validation on build)");
        var provider = services.BuildServiceProvider();
        phases.Begin("the host's start-up validators (IStartupValidator)");
        provider.GetService<IStartupValidator>()?.Validate();
        phases.Begin("the host's start of the hosted services");
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        foreach (var shared in SharedServices)
        {
            phases.Begin("resolve " + shared.Name);
            provider.GetRequiredService(shared);
        }

        phases.Begin("ConfidentialClients and the client");
        var clients = provider.GetRequiredService<ConfidentialClients>();
        clients.TryGet(Contenders.Client, out var client);
        phases.Begin("first token (one Table read)");
        var result = await client!.AcquireTokenForClientAsync(Scopes, null, CancellationToken.None);
        phases.Begin("dispose");
        foreach (var service in hosted)
        {
            await service.StopAsync(CancellationToken.None);
        }

        await provider.DisposeAsync();
        phases.End();
        if (result.Token?.Source != TokenSource.Cache)
        {
            throw new InvalidOperationException("The instance did not serve the cached token.");
        }
    }

    private sealed class Phases(AllocationSampler? sampler)
    {
        private readonly Dictionary<string, (long Bytes, TimeSpan Time)> _totals = [];
        private readonly List<string> _order = [];
        private string? _current;
        private long _bytes;
        private long _started;

        public void Begin(string phase)
        {
            End();
            _current = phase;
            if (!_order.Contains(phase))
            {
                _order.Add(phase);
            }

            sampler?.Enter(phase);
            _bytes = GC.GetTotalAllocatedBytes(precise: true);
            _started = Stopwatch.GetTimestamp();
        }

        public void End()
        {
            if (_current is null)
            {
                return;
            }

            var elapsed = Stopwatch.GetElapsedTime(_started);
            var bytes = GC.GetTotalAllocatedBytes(precise: true) - _bytes;
            _totals[_current] = _totals.TryGetValue(_current, out var total) ? (total.Bytes + bytes, total.Time + elapsed) : (bytes, elapsed);
            _current = null;
        }

        public string Report(int instances)
        {
            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"| phase | KB per instance | ms per instance |");
            text.AppendLine("|---|---:|---:|");
            foreach (var phase in _order)
            {
                var (bytes, time) = _totals[phase];
                text.AppendLine(CultureInfo.InvariantCulture, $"| {phase} | {bytes / 1024.0 / instances:F1} | {time.TotalMilliseconds / instances:F2} |");
            }

            var all = _totals.Values.Aggregate((0L, TimeSpan.Zero), (a, p) => (a.Item1 + p.Bytes, a.Item2 + p.Time));
            text.AppendLine(CultureInfo.InvariantCulture, $"| **total** | {all.Item1 / 1024.0 / instances:F1} | {all.Item2.TotalMilliseconds / instances:F2} |");
            if (sampler is not null)
            {
                text.AppendLine();
                text.Append(sampler.Report());
            }

            return text.ToString();
        }
    }

    /// <summary>The runtime's allocation sampler (GCAllocationTick, about every 100 KB), by phase and type.</summary>
    private sealed class AllocationSampler : EventListener
    {
        private readonly Dictionary<(string Phase, string Type), int> _samples = [];
        private volatile string _phase = "";

        public void Enter(string phase) => _phase = phase;

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1 /* GC */);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName != "GCAllocationTick_V4" || eventData.Payload is null)
            {
                return;
            }

            var type = eventData.PayloadNames!.IndexOf("TypeName") is var index and >= 0 ? eventData.Payload[index] as string ?? "?" : "?";
            lock (_samples)
            {
                var key = (_phase, type);
                _samples[key] = _samples.GetValueOrDefault(key) + 1;
            }
        }

        public string Report()
        {
            var text = new StringBuilder("Allocation samples (about 100 KB each), top types per phase:\n");
            lock (_samples)
            {
                foreach (var phase in _samples.GroupBy(s => s.Key.Phase))
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"- {phase.Key}: {phase.Sum(s => s.Value)} samples");
                    foreach (var type in phase.OrderByDescending(s => s.Value).Take(12))
                    {
                        text.AppendLine(CultureInfo.InvariantCulture, $"    {type.Value,5}  {type.Key.Type}");
                    }
                }
            }

            return text.ToString();
        }
    }
}
