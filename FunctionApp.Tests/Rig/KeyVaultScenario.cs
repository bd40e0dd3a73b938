using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Microsoft.Extensions.DependencyInjection;
using TokenFunctions.Tests.Fakes;

namespace TokenFunctions.Tests.Rig;

/// <summary>
/// <see cref="EntraScenario"/> with the client's certificate in a fake Key Vault. The broker's own
/// identity is a real Azure.Identity credential that gets its vault token from the fake Entra ID
/// (in Azure it is the managed identity), so the vault's challenge and token flow run for real.
/// </summary>
public sealed class KeyVaultScenario : IAsyncDisposable
{
    public const string CertificateName = "orders-client";

    private const string BrokerIdentitySecret = "broker-identity-test-secret";
    private readonly string _brokerIdentity = Guid.NewGuid().ToString();

    /// <summary>The broker identity's tenant: the client's, even when a test gives the client another authority.</summary>
    private readonly string _brokerTenant;

    private KeyVaultScenario(EntraScenario entra, FakeKeyVault vault)
    {
        Entra = entra;
        Vault = vault;
        _brokerTenant = entra.Tenant;
    }

    public EntraScenario Entra { get; }

    public FakeKeyVault Vault { get; }

    public static async Task<KeyVaultScenario> StartAsync(AzuriteServer azurite, bool uploadCertificate = true)
    {
        var entra = await EntraScenario.StartAsync(azurite);
        var vault = await FakeKeyVault.StartAsync("tf" + Guid.NewGuid().ToString("N")[..12], entra.Tenant, token => entra.Entra.IssuedTokens.Contains(token));
        vault.Route(entra.Routing);
        var scenario = new KeyVaultScenario(entra, vault);
        entra.Entra.RegisterClient(scenario._brokerIdentity, BrokerIdentitySecret);
        entra.Settings.Remove($"Clients__{EntraScenario.Client}__Certificate__Path");
        entra.Settings.Remove($"Clients__{EntraScenario.Client}__Certificate__Password");
        entra.Settings[$"Clients__{EntraScenario.Client}__Certificate__KeyVaultUri"] = vault.VaultUri.ToString();
        entra.Settings[$"Clients__{EntraScenario.Client}__Certificate__Name"] = CertificateName;
        if (uploadCertificate)
        {
            vault.AddVersion(CertificateName, entra.Certificate);
        }

        return scenario;
    }

    public AppProcess StartProcess(TimeProvider? time = null, Action<IServiceCollection>? configure = null) =>
        Entra.StartProcess(time, services =>
        {
            services.AddSingleton<TokenCredential>(new ClientSecretCredential(
                _brokerTenant,
                _brokerIdentity,
                BrokerIdentitySecret,
                new ClientSecretCredentialOptions { Transport = new HttpClientTransport(new HttpClient(Entra.Routing.CreateHandler())) }));
            configure?.Invoke(services);
        });

    /// <summary>A new certificate version in the vault that Entra also accepts for the client.</summary>
    public X509Certificate2 RotateCertificate(bool registerWithEntra = true)
    {
        var next = TestCertificates.CreateClientCertificate("CN=TokenFunctions test client v2");
        if (registerWithEntra)
        {
            Entra.Entra.RegisterClient(Entra.ClientId, next);
        }

        Vault.AddVersion(CertificateName, next);
        return next;
    }

    public async ValueTask DisposeAsync()
    {
        await Vault.DisposeAsync();
        await Entra.DisposeAsync();
    }
}
