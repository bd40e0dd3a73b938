using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Certificates;

namespace TokenFunctions.Credentials;

/// <summary>
/// One Key Vault certificate client and one signing client per vault, on the same pooled HttpClient.
/// A type of its own so that the Key Vault SDK is loaded only when a client uses a vault: a cold start
/// with secrets or PFX files pays nothing for it.
/// </summary>
internal sealed class KeyVaultClients(TokenCredential credential, IHttpClientFactory httpClients)
{
    private readonly ConcurrentDictionary<Uri, CertificateClient> _vaults = new();
    private readonly ConcurrentDictionary<Uri, KeyVaultSigningClient> _signers = new();

    public CertificateClient Certificates(string vault) => _vaults.GetOrAdd(new Uri(vault), CreateVaultClient);

    public KeyVaultSigningClient Signer(string vault) => _signers.GetOrAdd(
        new Uri(vault), uri => new KeyVaultSigningClient(uri, credential, new HttpClientTransport(httpClients.CreateClient(AzureCredentialFactory.HttpClientName))));

    private CertificateClient CreateVaultClient(Uri vault)
    {
        var clientOptions = new CertificateClientOptions
        {
            Transport = new HttpClientTransport(httpClients.CreateClient(AzureCredentialFactory.HttpClientName)),
        };
        clientOptions.Retry.MaxRetries = 2;
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(200);
        clientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(5);
        return new CertificateClient(vault, credential, clientOptions);
    }
}
