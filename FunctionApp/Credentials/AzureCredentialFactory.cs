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
    public const string HttpClientName = "AzureIdentity";

    public static TokenCredential Create(IConfiguration configuration, CredentialOptions options, IHttpClientFactory httpClients)
    {
        var transport = new HttpClientTransport(httpClients.CreateClient(HttpClientName));
        if (HostingEnvironment.IsDevelopment(configuration))
        {
            return new DefaultAzureCredential(new DefaultAzureCredentialOptions
            {
                Transport = transport,
                ManagedIdentityClientId = options.ManagedIdentityClientId,
            });
        }

        var identity = string.IsNullOrEmpty(options.ManagedIdentityClientId)
            ? ManagedIdentityId.SystemAssigned
            : ManagedIdentityId.FromUserAssignedClientId(options.ManagedIdentityClientId);
        return new ManagedIdentityCredential(new ManagedIdentityCredentialOptions(identity) { Transport = transport });
    }
}
