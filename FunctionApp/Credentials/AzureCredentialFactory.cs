using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Microsoft.Extensions.Configuration;

namespace TokenFunctions.Credentials;

/// <summary>
/// The one <see cref="TokenCredential"/> the broker uses for Azure (Key Vault): its managed identity
/// in Azure, the developer's own sign-in (DefaultAzureCredential) in Development.
/// </summary>
public static class AzureCredentialFactory
{
    /// <summary>
    /// The named <see cref="HttpClient"/> of the broker's own Azure SDK clients other than the Table's:
    /// its credentials and Key Vault's clients.
    /// </summary>
    public const string HttpClientName = "Azure";

    public static TokenCredential Create(IConfiguration configuration, CredentialOptions options, IHttpClientFactory httpClients)
    {
        if (HostingEnvironment.IsDevelopment(configuration))
        {
            return new DefaultAzureCredential(new DefaultAzureCredentialOptions
            {
                Transport = new HttpClientTransport(httpClients.CreateClient(HttpClientName)),
                ManagedIdentityClientId = options.ManagedIdentityClientId,
            });
        }

        return ManagedIdentity(options.ManagedIdentityClientId, httpClients);
    }

    /// <summary>
    /// The app's managed identity (user-assigned when <paramref name="clientId"/> names one) over the
    /// shared transport: the platform's protocol (on App Service and Functions, <c>IDENTITY_ENDPOINT</c>
    /// with <c>IDENTITY_HEADER</c>) as Azure.Identity speaks it, with its token cache.
    /// </summary>
    public static ManagedIdentityCredential ManagedIdentity(string? clientId, IHttpClientFactory httpClients, Action<RetryOptions>? retry = null)
    {
        var identity = string.IsNullOrEmpty(clientId)
            ? ManagedIdentityId.SystemAssigned
            : ManagedIdentityId.FromUserAssignedClientId(clientId);
        var options = new ManagedIdentityCredentialOptions(identity) { Transport = new HttpClientTransport(httpClients.CreateClient(HttpClientName)) };
        retry?.Invoke(options.Retry);
        return new ManagedIdentityCredential(options);
    }
}
