using System.Security.Cryptography;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;

namespace TokenFunctions.Benchmarks.Rig;

/// <summary>
/// What every benchmark runs against, once per process: Azurite's Table service and the fake Entra
/// ID of the test rig (<see cref="EntraScenario"/>: one app registration Entra knows, its
/// certificate in a PFX, the Function App's settings), and the <see cref="Contenders"/> built over them.
/// </summary>
internal sealed class BenchmarkRig
{
    /// <summary>The one Azure region the rig routes ({region}.login.microsoft.com to the fake Entra ID).</summary>
    public const string Region = "westus2";

    /// <summary>The regional host MSAL (and the core) send a <see cref="Region"/> client's token requests to.</summary>
    public const string RegionalHost = Region + ".login.microsoft.com";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static BenchmarkRig? s_shared;

    private readonly AzuriteServer _azurite;
    private readonly EntraScenario _scenario;

    private BenchmarkRig(AzuriteServer azurite, EntraScenario scenario)
    {
        _azurite = azurite;
        _scenario = scenario;
        Contenders = new Contenders(scenario.Settings, scenario.Routing);
    }

    public Contenders Contenders { get; }

    /// <summary>The fake Entra ID, the routing and the app registration every contender uses.</summary>
    public EntraScenario Scenario => _scenario;

    public FakeEntraId Entra => _scenario.Entra;

    /// <summary>Token requests the fake Entra received, whatever the grant.</summary>
    public int EntraTokenCalls => Entra.Calls.Where(c => IsTokenCall(c.Key)).Sum(c => c.Value);

    /// <summary>Every other request the fake Entra received: instance discovery, OpenID metadata.</summary>
    public int EntraOtherCalls => Entra.Calls.Where(c => !IsTokenCall(c.Key)).Sum(c => c.Value);

    /// <summary>What the rig has served so far, with the Table requests one contender's counter saw.</summary>
    public OperationCounts Counts(TableTraffic traffic) => new(EntraTokenCalls, EntraOtherCalls, traffic.Reads, traffic.Writes);

    private static bool IsTokenCall(string call) =>
        call.StartsWith("POST ", StringComparison.Ordinal) && call.EndsWith("/oauth2/v2.0/token", StringComparison.Ordinal);

    /// <summary>The process's rig if it was started.</summary>
    public static BenchmarkRig? Current => Volatile.Read(ref s_shared);

    /// <summary>
    /// The process's rig, started on first use and stopped when the process exits: BenchmarkDotNet
    /// runs each benchmark in a process of its own, and the smoke run runs them all in one.
    /// </summary>
    public static async Task<BenchmarkRig> SharedAsync()
    {
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (s_shared is null)
            {
                var azurite = await AzuriteServer.StartAsync().ConfigureAwait(false);
                var scenario = await EntraScenario.StartAsync(azurite).ConfigureAwait(false);
                scenario.Entra.RouteEntraHosts(scenario.Routing, Region);
                // Required by the product soon; ignored where it is not read yet.
                scenario.Settings["TokenCache__EncryptionKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
                s_shared = new BenchmarkRig(azurite, scenario);
                // Azurite is a node process of ours: it must not outlive this one, even on a crash.
                AppDomain.CurrentDomain.ProcessExit += (_, _) => StopShared();
                AppDomain.CurrentDomain.UnhandledException += (_, _) => StopShared();
            }

            return s_shared;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Stops Azurite and the fake; safe to call more than once.</summary>
    public static void StopShared()
    {
        var rig = Interlocked.Exchange(ref s_shared, null);
        if (rig is not null)
        {
            rig._azurite.StopAsync().GetAwaiter().GetResult();
            rig._scenario.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
