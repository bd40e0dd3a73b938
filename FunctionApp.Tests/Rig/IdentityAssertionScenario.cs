using TokenFunctions.Tests.Fakes;

namespace TokenFunctions.Tests.Rig;

/// <summary>
/// <see cref="EntraScenario"/> with the client's credential being the app's managed identity, trusted
/// as a federated credential of the app registration: the platform's identity endpoint (a fake, set in
/// the process environment as App Service sets it, for the scenario's life), a user-assigned identity
/// assigned to the app and named as its own (<c>ManagedIdentity__ClientId</c>), and the app
/// registration trusting that identity's tokens. Azure.Identity reads the environment, so tests using
/// this run alone (<see cref="Functions.ManagedIdentityClients"/>).
/// </summary>
public sealed class IdentityAssertionScenario : IAsyncDisposable
{
    private readonly EnvironmentScope _environment;

    private IdentityAssertionScenario(EntraScenario entra, FakeManagedIdentityEndpoint endpoint, AssignedIdentity identity)
    {
        Entra = entra;
        Endpoint = endpoint;
        Identity = identity;
        _environment = new EnvironmentScope(endpoint.EnvironmentVariables);
    }

    public EntraScenario Entra { get; }

    public FakeManagedIdentityEndpoint Endpoint { get; }

    /// <summary>The app's identity, which the app registration trusts.</summary>
    public AssignedIdentity Identity { get; }

    public FakeEntraId FakeEntra => Entra.Entra;

    /// <summary>The issuer of the app's identity's tokens: its tenant's.</summary>
    public string Issuer => FederatedIdentityCredentials.Issuer(Entra.Tenant);

    public static async Task<IdentityAssertionScenario> StartAsync(AzuriteServer azurite, bool trustIdentity = true)
    {
        var entra = await EntraScenario.StartAsync(azurite);
        var endpoint = await FakeManagedIdentityEndpoint.StartAsync(entra.Entra, entra.Tenant);
        var identity = endpoint.AssignUserAssignedIdentity();
        entra.Settings.Remove($"Clients__{EntraScenario.Client}__Certificate__Path");
        entra.Settings.Remove($"Clients__{EntraScenario.Client}__Certificate__Password");
        entra.Settings[$"Clients__{EntraScenario.Client}__ManagedIdentityAssertion__Enabled"] = "true";
        entra.Settings["ManagedIdentity__ClientId"] = identity.ClientId;
        var scenario = new IdentityAssertionScenario(entra, endpoint, identity);
        if (trustIdentity)
        {
            scenario.Trust(identity);
        }

        return scenario;
    }

    /// <summary>Adds the federated credential that trusts <paramref name="identity"/> to the client's app registration.</summary>
    public void Trust(AssignedIdentity identity, string? issuer = null, string audience = FederatedIdentityCredentials.TokenExchangeAudience) =>
        FakeEntra.RegisterFederatedCredential(Entra.ClientId, new FederatedCredential(issuer ?? Issuer, identity.ObjectId, audience));

    public AppProcess StartProcess(TimeProvider? time = null) => Entra.StartProcess(time);

    public async ValueTask DisposeAsync()
    {
        _environment.Dispose();
        await Endpoint.DisposeAsync();
        await Entra.DisposeAsync();
    }
}
