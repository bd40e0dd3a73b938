using System.Security.Cryptography.X509Certificates;
using TokenFunctions.Tests.Fakes;

namespace TokenFunctions.Tests.Rig;

/// <summary>
/// The usual arrangement: a fake Entra ID routed under its real host names, one app registration
/// ("orders", with a certificate in a local PFX) that Entra knows, and a table of its own in Azurite.
/// Each scenario uses fresh ids, so nothing MSAL keeps per process leaks between tests.
/// </summary>
public sealed class EntraScenario : IAsyncDisposable
{
    public const string Client = "orders";
    public const string Scope = "api://inventory/.default";

    private readonly string _directory;

    private EntraScenario(FakeEntraId entra, LoopbackRouting routing, string directory, X509Certificate2 certificate, Dictionary<string, string?> settings)
    {
        Entra = entra;
        Routing = routing;
        _directory = directory;
        Certificate = certificate;
        Settings = settings;
    }

    public FakeEntraId Entra { get; }

    public LoopbackRouting Routing { get; }

    public X509Certificate2 Certificate { get; }

    public string ClientId => Settings[$"Clients__{Client}__ClientId"]!;

    /// <summary>The tenant of the client's authority.</summary>
    public string Tenant => new Uri(Settings[$"Clients__{Client}__Authority"]!).AbsolutePath.Trim('/');

    /// <summary>The app's settings, named as in the environment; tests may change them before starting a process.</summary>
    public Dictionary<string, string?> Settings { get; }

    public static async Task<EntraScenario> StartAsync(AzuriteServer azurite)
    {
        var entra = await FakeEntraId.StartAsync();
        var routing = entra.RouteEntraHosts(new LoopbackRouting());
        var directory = Directory.CreateTempSubdirectory("tokenfunctions-tests-").FullName;
        var certificate = TestCertificates.CreateClientCertificate();
        var clientId = Guid.NewGuid().ToString();
        entra.RegisterClient(clientId, certificate);
        var tenant = Guid.NewGuid().ToString();
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["TokenCache__TableName"] = "t" + Guid.NewGuid().ToString("N"),
            ["TokenCache__EncryptionKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            [$"Clients__{Client}__ClientId"] = clientId,
            [$"Clients__{Client}__Authority"] = $"https://login.microsoftonline.com/{tenant}",
            [$"Clients__{Client}__Certificate__Path"] = TestCertificates.WritePfx(certificate, directory, "pfx-password"),
            [$"Clients__{Client}__Certificate__Password"] = "pfx-password",
        };
        var scenario = new EntraScenario(entra, routing, directory, certificate, settings);
        return scenario;
    }

    public AppProcess StartProcess(TimeProvider? time = null, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configure = null) =>
        AppProcess.Start(Settings, Routing, time, configure);

    /// <summary>The Table client a test uses to look at what the app stored.</summary>
    public Azure.Data.Tables.TableClient Table(AzuriteServer azurite) => new(azurite.ConnectionString, Settings["TokenCache__TableName"]);

    public async ValueTask DisposeAsync()
    {
        await Entra.DisposeAsync();
        Certificate.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
