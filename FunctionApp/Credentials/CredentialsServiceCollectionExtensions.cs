using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using TokenFunctions.Settings;

namespace TokenFunctions.Credentials;

public static class CredentialsServiceCollectionExtensions
{
    /// <summary>
    /// The broker's own Azure identity (the one <see cref="TokenCredential"/> for Key Vault and the
    /// Table) and the factories of each client's certificate source and managed-identity assertion.
    /// </summary>
    public static IServiceCollection AddCredentials(this IServiceCollection services, IConfiguration configuration)
    {
        var credentials = configuration.GetSection(CredentialOptions.SectionName).Get<CredentialOptions>() ?? new();
        credentials.ManagedIdentityClientId ??= configuration["ManagedIdentity:ClientId"] ?? configuration["AZURE_CLIENT_ID"];
        services.AddValidatedOptions(credentials, new CredentialOptionsAnnotations());
        // One name for the credentials and Key Vault: both are held for the life of the process, so they
        // need the same recycled connections; the handler pools connections per host anyway, and every
        // AddHttpClient call costs each new instance a little more to start (about 5 KB).
        services.AddHttpClient(AzureCredentialFactory.HttpClientName).RecycleConnections();

        // Tests (and hosts with an identity of their own) register a TokenCredential before this.
        services.TryAddSingleton<TokenCredential>(sp => new DeferredTokenCredential(() => AzureCredentialFactory.Create(
            configuration, sp.GetRequiredService<IOptions<CredentialOptions>>().Value, sp.GetRequiredService<IHttpClientFactory>())));
        services.AddSingleton<CertificateSourceFactory>();
        services.AddSingleton<ManagedIdentityAssertionFactory>();
        return services;
    }
}
