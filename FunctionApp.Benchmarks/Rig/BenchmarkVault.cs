using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TokenFunctions.Caching;
using TokenFunctions.Tests.Fakes;
using TokenFunctions.Tests.Rig;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace TokenFunctions.Benchmarks.Rig;

/// <summary>
/// A fake Key Vault beside the rig's fake Entra ID, holding the rig's client certificate (exportable, so
/// that it can be downloaded as well as sign in the vault), and the broker's own identity for it: a
/// client-secret credential Entra knows, whose vault token is fetched once up front, as a running
/// process's managed identity already holds one. Core instances built here find the client's
/// certificate in this vault instead of a PFX file.
/// </summary>
internal sealed class BenchmarkVault : IAsyncDisposable
{
    public const string CertificateName = "bench-client";

    private const string Prefix = $"Clients__{Contenders.Client}__Certificate__";

    private readonly BenchmarkRig _rig;
    private readonly HttpClient _identityHttp;
    private readonly TokenCredential _identity;

    private BenchmarkVault(BenchmarkRig rig, FakeKeyVault vault, HttpClient identityHttp, TokenCredential identity)
    {
        _rig = rig;
        Vault = vault;
        _identityHttp = identityHttp;
        _identity = identity;
    }

    public FakeKeyVault Vault { get; }

    public static async Task<BenchmarkVault> StartAsync(BenchmarkRig rig)
    {
        var scenario = rig.Scenario;
        var vault = await FakeKeyVault.StartAsync("tfbench" + Guid.NewGuid().ToString("N")[..12], scenario.Tenant, token => scenario.Entra.IssuedTokens.Contains(token))
            .ConfigureAwait(false);
        vault.Route(scenario.Routing);
        vault.AddVersion(CertificateName, scenario.Certificate);

        var identityId = Guid.NewGuid().ToString();
        var identitySecret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        scenario.Entra.RegisterClient(identityId, identitySecret);
        var http = new HttpClient(scenario.Routing.CreateHandler());
        var identity = new ClientSecretCredential(scenario.Tenant, identityId, identitySecret, new ClientSecretCredentialOptions { Transport = new HttpClientTransport(http) });
        // As the Key Vault clients ask for it (the vault's tenant, continuous access evaluation on), so that
        // no operation pays for it.
        await identity.GetTokenAsync(
            new TokenRequestContext(["https://vault.azure.net/.default"], parentRequestId: null, claims: null, tenantId: scenario.Tenant, isCaeEnabled: true),
            CancellationToken.None).ConfigureAwait(false);
        return new BenchmarkVault(rig, vault, http, identity);
    }

    /// <summary>
    /// A new core instance over <paramref name="table"/> (as <see cref="Contenders.StartCore"/> builds
    /// one) whose client downloads its certificate from the vault, or signs there when <paramref name="signInVault"/>.
    /// </summary>
    public AppProcess StartCore(string table, TableTraffic traffic, bool signInVault)
    {
        var settings = new Dictionary<string, string?>(_rig.Contenders.Settings)
        {
            ["TokenCache__TableName"] = table,
            [Prefix + "KeyVaultUri"] = Vault.VaultUri.ToString(),
            [Prefix + "Name"] = CertificateName,
            [Prefix + "SignInKeyVault"] = signInVault ? "true" : "false",
        };
        settings.Remove(Prefix + "Path");
        settings.Remove(Prefix + "Password");
        return AppProcess.Start(settings, _rig.Scenario.Routing, configure: services =>
        {
            services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Information));
            services.AddHttpClient(TokenCacheServiceCollectionExtensions.TableHttpClientName).AddHttpMessageHandler(traffic.CreateHandler);
            services.AddSingleton(_identity);
        });
    }

    public async ValueTask DisposeAsync()
    {
        await Vault.DisposeAsync().ConfigureAwait(false);
        _identityHttp.Dispose();
    }
}
